import type { ReceiverFactory } from '../../component/contracts.js';
import { multiprocSchema, type MultiprocConfig } from './config.js';
import { MultiprocReceiver } from './receiver.js';

export const multiprocFactory: ReceiverFactory<MultiprocConfig> = {
  kind: 'receiver',
  type: 'prometheus_multiproc',
  description: "prometheus_client multiprocess directories (SGLang's PROMETHEUS_MULTIPROC_DIR), merged exactly as prometheus_client does, robust to damaged files: the /metrics sgl.Engine lacks.",
  schema: multiprocSchema,
  create: (settings, config, next) => new MultiprocReceiver(settings, config, next),
};
