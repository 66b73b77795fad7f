import type { ReceiverFactory } from '../../component/contracts.js';
import { zmqFpmSchema, type ZmqFpmConfig } from './config.js';
import { ZmqFpmReceiver } from './receiver.js';

export const zmqFpmFactory: ReceiverFactory<ZmqFpmConfig> = {
  kind: 'receiver',
  type: 'zmq_fpm',
  description: "SGLang's ForwardPassMetrics stream: one ZeroMQ SUB per dp rank, msgpack decoded, loss, restarts and liveness tracked.",
  schema: zmqFpmSchema,
  create: (settings, config, next) => new ZmqFpmReceiver(settings, config, next),
};
