import { defineSchema } from '../../config/component-schema.js';
import { endpointProblem, expandEndpoints } from './endpoints.js';

export interface ZmqFpmConfig {
  /** One endpoint per dp rank, in rank order. */
  readonly endpoints: readonly string[];
  readonly heartbeatTimeoutMs: number;
  readonly maxMessageBytes: number;
  readonly receiveHighWaterMark: number;
  /** worker_id for messages that carry "" (and for stream health before the first message). */
  readonly workerId: string;
  readonly reportIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly transport: 'zmtp' | 'libzmq';
  readonly keepPayload: boolean;
}

export const zmqFpmSchema = defineSchema<ZmqFpmConfig>(
  {
    endpoint: { doc: 'Base endpoint: tcp://HOST:PORT gives rank r at PORT+r; ipc:///PATH gives ipc:///PATH.r (SGLang\'s form). Use with dp_size.', format: String, default: '' },
    dp_size: { doc: 'Number of data-parallel ranks to expand `endpoint` for.', format: 'positive-int', default: 1 },
    endpoints: { doc: 'Explicit endpoints, one per rank in rank order (instead of endpoint + dp_size).', format: 'string-list', default: [] },
    heartbeat_timeout: { doc: 'A rank with neither data nor heartbeat for this long is down (sglang_fpm_up 0).', format: 'duration', default: '3s', unit: 'ms' },
    max_message_bytes: { doc: 'Largest message accepted (libzmq ZMQ_MAXMSGSIZE); a larger one makes libzmq drop and re-open the connection, counted as a disconnect.', format: 'positive-int', default: 1048576, unit: 'bytes' },
    receive_hwm: { doc: 'Messages libzmq may queue per endpoint before it drops (ZMQ_RCVHWM); drops show up as sequence gaps.', format: 'positive-int', default: 20000, unit: 'messages' },
    worker_id: { doc: 'worker_id to use when a stream sends "" (SGLang without forward_pass_metrics_worker_id).', format: String, default: '' },
    transport: { doc: 'zmtp: the built-in ZeroMQ peer (ZMTP 3, NULL security; much cheaper per message); libzmq: the zeromq binding, for what the built-in peer does not speak.', format: ['zmtp', 'libzmq'], default: 'zmtp' },
    poll_interval: { doc: 'When a stream is not busy, how long reading pauses so that each read takes many messages at once (latency added at most; one wake-up per interval instead of one per message). A busy stream is read without pause.', format: 'duration', default: '100ms', unit: 'ms' },
    keep_payload: { doc: 'Keep each message\'s msgpack bytes on its record, for exporters that forward FPM unchanged (a copy per message).', format: 'boolean', default: false },
    report_interval: { doc: 'How often stream health (heartbeats, loss, restarts, refusals, up) goes downstream.', format: 'duration', default: '1s', unit: 'ms' },
  },
  (v, issue) => {
    const hasBase = v.endpoint !== '';
    const list = v.endpoints as string[];
    let endpoints: string[] = [];
    if (hasBase && list.length) issue('endpoints', 'give either endpoint (with dp_size) or endpoints, not both');
    else if (!hasBase && !list.length) issue('endpoint', 'required: the scheduler\'s FPM endpoint, e.g. "tcp://127.0.0.1:20380" or "ipc:///tmp/sglang_fpm" (or an explicit "endpoints" list)');
    else if (hasBase) {
      const problem = endpointProblem(v.endpoint as string);
      if (problem) issue('endpoint', `${problem}: "${v.endpoint}"`);
      else endpoints = expandEndpoints(v.endpoint as string, v.dp_size as number);
      for (const e of endpoints) {
        const p = endpointProblem(e);
        if (p) issue('dp_size', `rank endpoint "${e}": ${p}`);
      }
    } else {
      list.forEach((e, i) => {
        const p = endpointProblem(e);
        if (p) issue(`endpoints[${i}]`, `${p}: "${e}"`);
      });
      if (new Set(list).size !== list.length) issue('endpoints', 'an endpoint is listed twice');
      endpoints = list;
    }
    if ((v.poll_interval as number) < 1 || (v.poll_interval as number) > 1000) issue('poll_interval', 'must be from 1ms to 1s');
    return {
      endpoints,
      heartbeatTimeoutMs: v.heartbeat_timeout as number,
      maxMessageBytes: v.max_message_bytes as number,
      receiveHighWaterMark: v.receive_hwm as number,
      workerId: v.worker_id as string,
      reportIntervalMs: v.report_interval as number,
      pollIntervalMs: v.poll_interval as number,
      transport: v.transport as 'zmtp' | 'libzmq',
      keepPayload: v.keep_payload as boolean,
    };
  },
);
