import type { SequenceNumber } from '../../model/fpm.js';
import { decodePayload, readSequence } from './decode.js';
import type { FastFpmDecoder } from './fast-decode.js';
import type { DecodedPayload, RefusalReason } from './schema.js';

/**
 * One 3-frame FPM message (empty topic, 8-byte sequence, msgpack payload)
 * to a payload or a refusal. A refusal keeps the sequence number when its
 * frame was readable: such a message was refused, not lost.
 */
export type MessageResult =
  | { ok: true; seq: SequenceNumber; payload: DecodedPayload }
  | { ok: false; reason: RefusalReason; detail: string; seq?: SequenceNumber };

export function decodeMessage(frames: readonly Uint8Array[], fast?: FastFpmDecoder): MessageResult {
  if (frames.length !== 3) return { ok: false, reason: 'frame_count', detail: `${frames.length} frames, expected 3 (topic, sequence, payload)` };
  const seq = readSequence(frames[1]);
  if (seq === undefined) return { ok: false, reason: 'seq_frame', detail: `sequence frame is ${frames[1].length} bytes, expected 8` };
  const quick = fast?.decode(frames[2]);
  if (quick) return { ok: true, seq, payload: quick };
  const general = decodePayload(frames[2]);
  if (general.ok) return { ok: true, seq, payload: general.payload };
  return { ...general, seq };
}
