#!/usr/bin/env node
import { main } from './cli/index.js';

/**
 * Commands that are done when their promise resolves (nothing runs after
 * them): the process exits at once when all they wrote has been handed to
 * the OS, instead of first waiting for background work of the JavaScript
 * engine (a one-shot `multiproc` of a large directory leaves a heap to tidy).
 */
const ONE_SHOT = new Set(['multiproc']);

const argv = process.argv.slice(2);
main(argv).then(
  (code) => {
    process.exitCode = code;
    if (ONE_SHOT.has(argv[0])) exitOnceWritten(code);
    // Sockets and timers of a finished command must not keep the process alive.
    setTimeout(() => process.exit(code), 200).unref();
  },
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

/**
 * Exits as soon as stdout and stderr have handed all they were given to the
 * OS: at once, or when the last one drains (stdout to a pipe or socket is
 * written asynchronously and can hold megabytes). Where no drain comes (a
 * short write still pending), the process ends as any other.
 */
function exitOnceWritten(code: number): void {
  const written = () => process.stdout.writableLength === 0 && process.stderr.writableLength === 0;
  if (written()) process.exit(code);
  const check = () => {
    if (written()) process.exit(code);
  };
  process.stdout.on('drain', check);
  process.stderr.on('drain', check);
}
