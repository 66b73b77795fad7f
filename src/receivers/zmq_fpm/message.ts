import type { SequenceNumber } from '../../model/fpm.js';
import { decodePayload, readSequenceAt } from './decode.js';
import type { FastFpmDecoder } from './fast-decode.js';
import type { Frames } from './frames.js';
import type { DecodedPayload, RefusalReason } from './schema.js';

/**
 * One 3-frame FPM message (empty topic, 8-byte sequence, msgpack payload)
 * to a payload or a refusal. A refusal keeps the sequence number when its
 * frame was readable: such a message was refused, not lost.
 */
export type MessageResult =
  | { ok: true; seq: SequenceNumber; payload: DecodedPayload }
  | { ok: false; reason: RefusalReason; detail: string; seq?: SequenceNumber };

export function decodeMessage(frames: Frames, fast?: FastFpmDecoder): MessageResult {
  if (frames.count !== 3) return { ok: false, reason: 'frame_count', detail: `${frames.count} frames, expected 3 (topic, sequence, payload)` };
  if (frames.size(1) !== 8) return { ok: false, reason: 'seq_frame', detail: `sequence frame is ${frames.size(1)} bytes, expected 8` };
  const seq = readSequenceAt(frames.data[1], frames.start[1]);
  const quick = fast?.decode(frames.data[2], frames.start[2], frames.end[2]);
  if (quick) return { ok: true, seq, payload: quick };
  const general = decodePayload(frames.view(2));
  if (general.ok) return { ok: true, seq, payload: general.payload };
  return { ...general, seq };
}
