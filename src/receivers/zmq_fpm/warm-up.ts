import { encodeFpmPayload, sequenceFrame } from '../../simulate/encode.js';
import { makeIteration, seededRandom } from '../../simulate/workload.js';
import { silentLogger } from '../../telemetry/logger.js';
import { Frames } from './frames.js';
import { FpmStream } from './stream.js';

/** Messages decoded at start-up: enough for V8 to optimise the decode path (about 10 ms of CPU). */
const WARM_UP_MESSAGES = 5000;
/** Distinct payloads cycled through (varied field values take the decoder's different integer and float forms). */
const WARM_UP_PAYLOADS = 64;

/**
 * Runs the decode path (FpmStream.handle: frames -> sequence check -> fast
 * decoder -> record) over synthetic spec-exact messages before the first
 * connection, on a throwaway stream whose counts go nowhere. Without it the
 * first second at a high rate is decoded by unoptimised code, slowly enough
 * to overflow the publisher's SNDHWM (losses of 1-3% at >= 100,000 msg/s).
 */
export function warmUpDecoder(): void {
  const rnd = seededRandom(7);
  const payloads = Array.from({ length: WARM_UP_PAYLOADS }, (_, i) =>
    encodeFpmPayload({ version: 1, worker_id: 'warm-up', dp_rank: 0, counter_id: i, ...makeIteration(rnd) }),
  );
  const stream = new FpmStream('warm-up', 0, '', silentLogger, () => {}, () => {}, 0);
  // As the ZMTP peer hands them over: ranges of one buffer, one Frames reused.
  const frames = new Frames();
  for (let seq = 0; seq < WARM_UP_MESSAGES; seq++) {
    const payload = payloads[seq % WARM_UP_PAYLOADS];
    const buf = Buffer.concat([sequenceFrame(seq), payload]);
    frames.clear();
    frames.push(buf, 0, 0);
    frames.push(buf, 0, 8);
    frames.push(buf, 8, buf.length);
    stream.handle(frames, seq);
  }
}
