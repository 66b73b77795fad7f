import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The repository root and the read-only shared/ folder beside it. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(ROOT, '../shared');
export const PUBLISHER = path.join(SHARED, 'tools/fpm-publisher.py');
/** Debian's Python, which sees python3-zmq and python3-msgpack. */
export const SYSTEM_PYTHON = '/usr/bin/python3';
