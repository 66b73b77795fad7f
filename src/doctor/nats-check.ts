import type { NatsExporterConfig } from '../exporters/nats/config.js';
import { loadNatsClient, natsConnectOptions } from '../exporters/nats/connection.js';
import { error, newSection, type Section } from './finding.js';

/** Longest wait for a NATS server to accept the connection (ms). */
const CONNECT_TIMEOUT_MS = 3000;

/** Environment variables the config names but the environment does not set. */
function unsetVariables(config: NatsExporterConfig): string[] {
  return [config.tokenEnv, config.passwordEnv].filter((v) => v && !process.env[v]);
}

/**
 * Checks a nats exporter: connects to its servers with its auth and TLS
 * options (one attempt), confirms with a PING/PONG round trip, and closes.
 */
export async function checkNats(id: string, config: NatsExporterConfig): Promise<Section> {
  const section = newSection(id, 'exporter', 'nats');
  section.details.servers = config.servers;
  for (const v of unsetVariables(config)) section.findings.push(error('nats_credentials_missing', `environment variable ${v} is empty or not set`, `export ${v} in the bridge's environment`));
  try {
    const nats = await loadNatsClient();
    const nc = await nats.connect({ ...natsConnectOptions(nats, config, id), reconnect: false, timeout: CONNECT_TIMEOUT_MS });
    await nc.flush();
    const server = nc.getServer();
    const version = nc.info?.version;
    await nc.close();
    section.details.connected = server;
    section.facts.push(`connected to ${server}${version ? ` (nats-server ${version})` : ''}; subjects ${config.subject}`);
  } catch (err) {
    const e = err as Error & { code?: string };
    section.details.connected = false;
    const auth = /AUTHORIZATION|AUTHENTICATION|PERMISSIONS/i.test(`${e.code ?? ''} ${e.message}`);
    if (auth) section.findings.push(error('nats_auth_rejected', `${config.servers.join(', ')}: ${e.message}`, 'the server refuses these credentials: check token_env, user and password_env, or creds_file against the server\'s accounts'));
    else section.findings.push(error('nats_unreachable', `${config.servers.join(', ')}: ${e.code ?? e.message}`, 'start nats-server or correct servers (e.g. nats://127.0.0.1:4222); with TLS, check tls_ca_file and the server\'s certificate'));
  }
  return section;
}
