/**
 * No Docker engine runs here, so the image is checked for what can be
 * checked: every file it copies from the context exists, the build script it
 * runs exists, and its entry point runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/paths.js';

const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');

test('every COPY source from the build context exists', () => {
  const copies = [...dockerfile.matchAll(/^COPY (?!--from)(.+) (\S+)$/gm)].flatMap((m) => m[1].split(/\s+/));
  assert.ok(copies.length >= 4);
  for (const source of copies) assert.ok(existsSync(path.join(ROOT, source)), `${source} exists`);
});

test('the build stage runs an npm script that exists', () => {
  const scripts = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts;
  for (const m of dockerfile.matchAll(/npm run (\S+)/g)) assert.ok(scripts[m[1]], `npm script ${m[1]}`);
});

test('the image runs as a non-root user', () => {
  assert.match(dockerfile, /^USER node$/m);
});

test('the entry point runs (node dist/main.js, as in ENTRYPOINT)', () => {
  const entry = /^ENTRYPOINT \[(.*)\]$/m.exec(dockerfile)![1].split(',').map((s) => JSON.parse(s.trim()));
  assert.deepEqual(entry, ['node', 'dist/main.js']);
  assert.ok(existsSync(path.join(ROOT, 'dist/main.js')), 'dist/main.js is built (npm run build)');
  const help = execFileSync(process.execPath, [path.join(ROOT, entry[1]), 'run', '--help'], { encoding: 'utf8' });
  assert.match(help, /Usage: sglang-otel-bridge run/);
  const cmd = /^CMD \[(.*)\]$/m.exec(dockerfile)![1].split(',').map((s) => JSON.parse(s.trim()));
  assert.deepEqual(cmd.slice(0, 2), ['run', '--config']);
  const validate = execFileSync(process.execPath, [path.join(ROOT, entry[1]), 'validate', '--config', path.join(ROOT, 'config/default.json')], { encoding: 'utf8' });
  assert.match(validate, /valid/);
});
