import type { Subscriber } from 'zeromq';
import type { Logger } from '../../telemetry/logger.js';

/** How long to wait for libzmq's own reconnect to show before reconnecting by hand. */
const RECONNECT_CHECK_MS = 300;

/**
 * libzmq reconnects by itself after a connection error (publisher gone):
 * it says so with a `connect:retry` event. After a protocol error, such as a
 * message over ZMQ_MAXMSGSIZE, it does not: the session is terminated and
 * the endpoint stays silent for good. This guard watches the socket's events
 * and, when a disconnect is not followed by a retry, disconnects and connects
 * the endpoint again, so one oversized message never costs a rank forever.
 */
export function guardReconnect(socket: Subscriber, endpoint: string, logger: Logger, onDisconnect: () => void, isStopped: () => boolean): void {
  let retried = true;
  socket.events.on('connect:retry', () => (retried = true));
  socket.events.on('connect', () => (retried = true));
  socket.events.on('disconnect', () => {
    onDisconnect();
    retried = false;
    setTimeout(() => {
      if (retried || isStopped() || socket.closed) return;
      logger.warn('libzmq dropped the connection and will not reconnect by itself (a message over max_message_bytes, or another protocol error); reconnecting. Messages missed meanwhile are counted as lost.', { endpoint });
      try {
        socket.disconnect(endpoint);
      } catch {
        // already gone from the socket's endpoints: connecting again is enough
      }
      socket.connect(endpoint);
    }, RECONNECT_CHECK_MS).unref();
  });
}
