import { defineSchema } from '../../config/component-schema.js';

export interface PrometheusExporterConfig {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  /** Name of the environment variable holding the bearer token; '' = no authentication. */
  readonly bearerTokenEnv: string;
  readonly tlsCertFile: string;
  readonly tlsKeyFile: string;
  readonly metricExpirationMs: number;
  readonly selfTelemetry: boolean;
}

export const prometheusSchema = defineSchema<PrometheusExporterConfig>(
  {
    host: { doc: 'Address to listen on. 127.0.0.1 by default; set "0.0.0.0" explicitly to serve other hosts (in a container, say).', format: String, default: '127.0.0.1' },
    port: { doc: 'TCP port (0 picks a free one, logged at start).', format: 'port', default: 9464 },
    path: { doc: 'Path of the metrics endpoint; /healthz and /readyz are served beside it.', format: String, default: '/metrics' },
    bearer_token_env: { doc: 'Environment variable that holds a bearer token; when set, scrapes must send "Authorization: Bearer <token>".', format: String, default: '' },
    tls_cert_file: { doc: 'PEM certificate file: serve HTTPS (with tls_key_file).', format: String, default: '' },
    tls_key_file: { doc: 'PEM private key file for tls_cert_file.', format: String, default: '' },
    metric_expiration: { doc: 'A series not updated for this long is no longer served.', format: 'duration', default: '5m', unit: 'ms' },
    self_telemetry: { doc: 'Also serve the bridge\'s own metrics (bridge_*, process_*) on this endpoint.', format: 'boolean', default: true },
  },
  (v, issue) => {
    if (!(v.path as string).startsWith('/')) issue('path', 'must start with "/"');
    if (['/healthz', '/readyz'].includes(v.path as string)) issue('path', `${v.path} is reserved for health checks`);
    if (Boolean(v.tls_cert_file) !== Boolean(v.tls_key_file)) issue(v.tls_cert_file ? 'tls_key_file' : 'tls_cert_file', 'TLS needs both tls_cert_file and tls_key_file');
    if (v.bearer_token_env && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(v.bearer_token_env as string)) issue('bearer_token_env', 'must be the name of an environment variable');
    return {
      host: v.host as string,
      port: v.port as number,
      path: v.path as string,
      bearerTokenEnv: v.bearer_token_env as string,
      tlsCertFile: v.tls_cert_file as string,
      tlsKeyFile: v.tls_key_file as string,
      metricExpirationMs: v.metric_expiration as number,
      selfTelemetry: v.self_telemetry as boolean,
    };
  },
);
