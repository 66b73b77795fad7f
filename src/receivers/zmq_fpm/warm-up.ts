import { encodeFpmPayload, sequenceFrame } from '../../simulate/encode.js';
import { makeIteration, seededRandom } from '../../simulate/workload.js';
import { silentLogger } from '../../telemetry/logger.js';
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
  const topic = new Uint8Array(0);
  for (let seq = 0; seq < WARM_UP_MESSAGES; seq++) {
    stream.handle([topic, sequenceFrame(seq), payloads[seq % WARM_UP_PAYLOADS]], seq);
  }
}
