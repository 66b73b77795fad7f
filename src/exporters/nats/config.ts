import { defineSchema } from '../../config/component-schema.js';
import { checkTemplate } from './subject.js';

export type NatsMode = 'metrics' | 'fpm';

export interface NatsExporterConfig {
  readonly servers: readonly string[];
  readonly mode: NatsMode;
  /** Subject template: {worker_id}, {dp_rank}, {metric} or any attribute name in braces. */
  readonly subject: string;
  /** Encoding of metric snapshot messages (FPM pass-through is always the original msgpack). */
  readonly encoding: 'json' | 'msgpack';
  /** Time between metric snapshots (ms); metrics mode only. */
  readonly intervalMs: number;
  readonly metricExpirationMs: number;
  readonly tokenEnv: string;
  readonly user: string;
  readonly passwordEnv: string;
  readonly credsFile: string;
  readonly tlsCaFile: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  /** Most messages held while disconnected or unconfirmed; more is dropped (counted). */
  readonly bufferMessages: number;
  /** Time between delivery confirmations (a PING/PONG round trip with the server), ms. */
  readonly confirmIntervalMs: number;
  /** Wait between reconnect attempts after the connection broke (ms). */
  readonly reconnectWaitMs: number;
}

export const DEFAULT_SUBJECT: Record<NatsMode, string> = {
  metrics: 'sglang.metrics.{worker_id}.{dp_rank}',
  fpm: 'sglang.fpm.{worker_id}',
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const natsSchema = defineSchema<NatsExporterConfig>(
  {
    servers: { doc: 'NATS server URLs, e.g. ["nats://127.0.0.1:4222"]; the client moves between them.', format: 'string-list', default: ['nats://127.0.0.1:4222'] },
    mode: { doc: 'metrics: a snapshot of every live series each interval; fpm: every FPM record re-published as it came (msgpack bytes unchanged), for Dynamo-style planners.', format: ['metrics', 'fpm'], default: 'metrics' },
    subject: { doc: 'Subject template: {worker_id}, {dp_rank}, {metric} or any attribute name in braces; a missing value becomes "_". Default: sglang.metrics.{worker_id}.{dp_rank} (metrics) or sglang.fpm.{worker_id} (fpm).', format: String, default: '' },
    encoding: { doc: 'Encoding of metric snapshot messages: json or msgpack (schema in docs/nats.md).', format: ['json', 'msgpack'], default: 'json' },
    interval: { doc: 'Time between metric snapshots (metrics mode).', format: 'duration', default: '10s', unit: 'ms' },
    metric_expiration: { doc: 'A series not updated for this long is no longer published (metrics mode).', format: 'duration', default: '5m', unit: 'ms' },
    token_env: { doc: 'Environment variable holding a token for the server.', format: String, default: '' },
    user: { doc: 'User name (with password_env).', format: String, default: '' },
    password_env: { doc: 'Environment variable holding the password of user.', format: String, default: '' },
    creds_file: { doc: 'A NATS credentials file (JWT and NKey seed).', format: String, default: '' },
    tls_ca_file: { doc: 'PEM CA file to verify the server (TLS).', format: String, default: '' },
    tls_cert_file: { doc: 'PEM client certificate (mutual TLS, with tls_key_file).', format: String, default: '' },
    tls_key_file: { doc: 'PEM client key for tls_cert_file.', format: String, default: '' },
    buffer_size: { doc: 'Most messages held while the server is unreachable (and sent but not yet confirmed); more is dropped and counted (reason queue_full).', format: 'positive-int', default: 100_000, unit: 'messages' },
    reconnect_wait: { doc: 'Wait between attempts to reconnect after the connection broke (the client keeps trying forever).', format: 'duration', default: '250ms', unit: 'ms' },
    confirm_interval: { doc: 'How often delivery is confirmed with a PING/PONG round trip; unconfirmed messages are re-sent after a reconnect.', format: 'duration', default: '1s', unit: 'ms' },
  },
  (v, issue) => {
    const mode = v.mode as NatsMode;
    const servers = v.servers as string[];
    if (!servers.length) issue('servers', 'give at least one server URL, e.g. ["nats://127.0.0.1:4222"]');
    servers.forEach((s, i) => {
      if (!/^(nats|tls|ws|wss):\/\/[^\s]+$/.test(s) && !/^[\w.-]+:\d+$/.test(s)) issue(`servers[${i}]`, `"${s}" is not a NATS URL (e.g. "nats://127.0.0.1:4222")`);
    });
    const subject = (v.subject as string) || DEFAULT_SUBJECT[mode];
    const problem = checkTemplate(subject);
    if (problem) issue('subject', problem);
    for (const key of ['token_env', 'password_env'] as const) if (v[key] && !ENV_NAME.test(v[key] as string)) issue(key, 'must be the name of an environment variable');
    if (Boolean(v.user) !== Boolean(v.password_env)) issue(v.user ? 'password_env' : 'user', 'user and password_env go together');
    if (Boolean(v.tls_cert_file) !== Boolean(v.tls_key_file)) issue(v.tls_cert_file ? 'tls_key_file' : 'tls_cert_file', 'mutual TLS needs both tls_cert_file and tls_key_file');
    if ((v.interval as number) < 100) issue('interval', 'must be at least 100ms');
    return {
      servers,
      mode,
      subject,
      encoding: v.encoding as 'json' | 'msgpack',
      intervalMs: v.interval as number,
      metricExpirationMs: v.metric_expiration as number,
      tokenEnv: v.token_env as string,
      user: v.user as string,
      passwordEnv: v.password_env as string,
      credsFile: v.creds_file as string,
      tlsCaFile: v.tls_ca_file as string,
      tlsCertFile: v.tls_cert_file as string,
      tlsKeyFile: v.tls_key_file as string,
      bufferMessages: v.buffer_size as number,
      confirmIntervalMs: v.confirm_interval as number,
      reconnectWaitMs: v.reconnect_wait as number,
    };
  },
);
