/**
 * The bytes of one multiprocess `.db` file (shared/spec/multiproc.md §2):
 * int32 `used`, 4 bytes padding, then entries of int32 keylen, key, 1-8
 * spaces of padding to a multiple of 8, float64 value, and (current layout)
 * float64 timestamp. Little-endian. Pure: no file system here.
 */
export type Layout = 'current' | 'legacy';

/**
 * Where the entries sit, as parallel arrays (no object per entry): key start
 * and length, and the offset of the float64 value (the timestamp follows in
 * the current layout). A key is read once, a value on every read.
 */
export interface EntryLocations {
  readonly keyStarts: number[];
  readonly keyLengths: number[];
  readonly valueOffsets: number[];
}

export type WalkResult = ({ ok: true; used: number } & EntryLocations) | { ok: false; reason: 'truncated' | 'corrupt' | 'bad_key'; detail: string };

const HEADER = 8;

/** `used` as written in the header, or undefined when the file is shorter than the header. */
export function readUsed(buf: Uint8Array): number | undefined {
  if (buf.length < HEADER) return undefined;
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(0, true);
}

/**
 * Walks the entries from `from` (8 for a whole file; the previous `used` to
 * read only what was appended since) up to `used`.
 */
export function walkEntries(buf: Uint8Array, layout: Layout, from = HEADER): WalkResult {
  const used = readUsed(buf);
  if (used === undefined) return { ok: false, reason: 'truncated', detail: `${buf.length} bytes: shorter than the 8-byte header` };
  if (used < HEADER) return { ok: false, reason: 'corrupt', detail: `used is ${used}, below the 8-byte header` };
  if (used > buf.length) return { ok: false, reason: 'truncated', detail: `used is ${used}, past the end of the file (${buf.length} bytes)` };
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const valueBytes = layout === 'current' ? 16 : 8;
  const keyStarts: number[] = [];
  const keyLengths: number[] = [];
  const valueOffsets: number[] = [];
  let pos = from;
  while (pos < used) {
    if (pos + 4 > used) return { ok: false, reason: 'corrupt', detail: `entry at ${pos} is cut off by used (${used})` };
    const keyLength = view.getInt32(pos, true);
    if (keyLength <= 0 || pos + 4 + keyLength > used) return { ok: false, reason: 'corrupt', detail: `key length ${keyLength} at ${pos} runs past used (${used})` };
    const keyStart = pos + 4;
    const valueOffset = keyStart + keyLength + (8 - ((keyLength + 4) % 8));
    if (valueOffset + valueBytes > used) return { ok: false, reason: 'corrupt', detail: `value of the entry at ${pos} runs past used (${used})` };
    if (buf[keyStart] !== 0x5b /* [ */) return { ok: false, reason: 'bad_key', detail: `key at ${pos} does not start a JSON array` };
    keyStarts.push(keyStart);
    keyLengths.push(keyLength);
    valueOffsets.push(valueOffset);
    pos = valueOffset + valueBytes;
  }
  if (pos !== used) return { ok: false, reason: 'corrupt', detail: `entries end at ${pos}, not at used (${used})` };
  return { ok: true, used, keyStarts, keyLengths, valueOffsets };
}

/**
 * Which layout a file is in: the one whose walk lands exactly on `used` with
 * every key a JSON array. A wrong layout misaligns at the first entry's end,
 * so both fit only a file without entries, where either will do.
 */
export function detectLayout(buf: Uint8Array): Layout | undefined {
  if (walkEntries(buf, 'current').ok) return 'current';
  if (walkEntries(buf, 'legacy').ok) return 'legacy';
  return undefined;
}
