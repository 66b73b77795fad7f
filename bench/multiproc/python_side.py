#!/usr/bin/python3
"""The baseline: prometheus_client's own MultiProcessCollector + generate_latest
(what SGLang's /metrics runs), with Debian's python3-prometheus-client.

  python_side.py oneshot DIR   -> prints the exposition size and seconds for one read + render
  python_side.py serve DIR     -> steady state: for every line "go" on stdin, one
                                  read + render of DIR; prints the milliseconds it took;
                                  "dump PATH" writes the last exposition to PATH
"""
import sys
import time

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector


def main():
    mode, directory = sys.argv[1], sys.argv[2]
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    if mode == 'oneshot':
        out = generate_latest(registry)
        sys.stdout.buffer.write(out)
        return
    out = b''
    for line in sys.stdin:
        if line.startswith('dump '):
            with open(line[5:].strip(), 'wb') as f:
                f.write(out)
            print('ok', flush=True)
            continue
        if line.strip() != 'go':
            break
        t = time.perf_counter()
        out = generate_latest(registry)
        ms = (time.perf_counter() - t) * 1000
        print(f'{ms:.3f} {len(out)}', flush=True)


if __name__ == '__main__':
    main()
