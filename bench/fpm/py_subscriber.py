#!/usr/bin/python3
"""The baseline a user would write without the bridge: pyzmq + msgpack, decode only.

One SUB socket connected to every rank's endpoint, subscribed to everything;
per message: recv_multipart() and msgpack.unpackb() of the payload frame, and a
counter. Nothing else is done per message (no sequence tracking, no aggregation),
so this is the cheapest useful Python subscriber, i.e. a generous baseline.

Protocol with bench/fpm/run.ts: prints `ready` once connected; afterwards, on
every 50 ms without a message, prints `count N` when N changed. Runs until killed.

Usage: /usr/bin/python3 py_subscriber.py --hwm 20000 ENDPOINT [ENDPOINT ...]
"""
import argparse
import sys

import msgpack
import zmq


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--hwm', type=int, default=20000, help='ZMQ_RCVHWM, per connection (the bridge default receive_hwm)')
    ap.add_argument('endpoints', nargs='+')
    args = ap.parse_args()
    ctx = zmq.Context()
    sock = ctx.socket(zmq.SUB)
    sock.setsockopt(zmq.RCVHWM, args.hwm)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.RCVTIMEO, 50)
    sock.setsockopt(zmq.SUBSCRIBE, b'')
    for ep in args.endpoints:
        sock.connect(ep)
    out = sys.stdout
    out.write('ready\n')
    out.flush()
    recv = sock.recv_multipart
    unpackb = msgpack.unpackb
    again = zmq.Again
    n = 0
    reported = -1
    while True:
        try:
            frames = recv()
        except again:
            if n != reported:
                reported = n
                out.write(f'count {n}\n')
                out.flush()
            continue
        unpackb(frames[2])
        n += 1


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:
        pass
