#!/usr/bin/env node
import { main } from './cli/index.js';

/**
 * Commands that are done when their promise resolves (nothing runs after
 * them): the process exits as soon as all they wrote has been handed to the
 * OS, instead of first waiting for background work of the JavaScript engine
 * (a one-shot `multiproc` of a large directory leaves a heap to tidy).
 */
const ONE_SHOT = new Set(['multiproc']);

/** How long a finished command's sockets and timers may keep the process alive once its output is written. */
const GRACE_MS = 200;

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
    whenOutputWritten(() => {
      if (ONE_SHOT.has(argv[0])) process.exit(code);
      // Sockets and timers of a finished command must not keep the process alive.
      setTimeout(() => process.exit(code), GRACE_MS).unref();
    });
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * Calls `then` once stdout and stderr have handed all they were given to
 * the OS. Written to a pipe or a socket they are written asynchronously and
 * can hold megabytes while a slow reader catches up: exiting before would
 * lose them. Checked at each drain and every 20 ms (a short write may never
 * drain); the check does not keep the process alive by itself.
 */
function whenOutputWritten(then: () => void): void {
  const written = () => process.stdout.writableLength === 0 && process.stderr.writableLength === 0;
  if (written()) return then();
  const check = () => {
    if (!written()) return;
    clearInterval(timer);
    process.stdout.off('drain', check);
    process.stderr.off('drain', check);
    then();
  };
  const timer = setInterval(check, 20).unref();
  process.stdout.on('drain', check);
  process.stderr.on('drain', check);
}
