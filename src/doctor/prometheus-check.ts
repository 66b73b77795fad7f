import net from 'node:net';
import type { PrometheusExporterConfig } from '../exporters/prometheus/config.js';
import { error, newSection, warning, type Section } from './finding.js';

/** Binds host:port and lets go at once; resolves with the error code, or undefined when it could bind. */
function tryBind(host: string, port: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    server.listen(port, host, () => server.close(() => resolve(undefined)));
  });
}

/** Whether what listens there answers /healthz as the bridge does ("ok"). */
async function answersHealthz(host: string, port: number): Promise<boolean> {
  const h = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  try {
    const res = await fetch(`http://${h}:${port}/healthz`, { signal: AbortSignal.timeout(2000) });
    return res.ok && (await res.text()).trim() === 'ok';
  } catch {
    return false;
  }
}

/** Checks a prometheus exporter: its port can be bound (or who holds it), its token is set. */
export async function checkPrometheus(id: string, config: PrometheusExporterConfig): Promise<Section> {
  const section = newSection(id, 'exporter', 'prometheus');
  const where = `${config.host}:${config.port}`;
  if (config.bearerTokenEnv && !process.env[config.bearerTokenEnv])
    section.findings.push(error('prometheus_token_missing', `environment variable ${config.bearerTokenEnv} (bearer_token_env) is empty or not set`, `export ${config.bearerTokenEnv} in the bridge's environment, or remove bearer_token_env`));
  const problem = await tryBind(config.host, config.port);
  section.details.address = where;
  section.details.bind = problem ?? 'ok';
  if (!problem) section.facts.push(`${where} can be bound${config.port === 0 ? ' (port 0: a free port is picked at start)' : ''}; ${config.path} will be served there`);
  else if (problem === 'EADDRINUSE') {
    if (!config.tlsCertFile && (await answersHealthz(config.host, config.port)))
      section.findings.push(warning('prometheus_port_in_use', `${where} is taken by a server that answers /healthz "ok": a bridge is already running there`, 'if that bridge runs this config, all is well; otherwise stop it or give this exporter another port (a second `run` would fail to bind)'));
    else section.findings.push(error('prometheus_port_in_use', `${where} is already taken by another program`, `give the exporter a free port, or stop what listens there (see: ss -ltnp 'sport = :${config.port}')`));
  } else if (problem === 'EACCES') section.findings.push(error('prometheus_port_denied', `${where}: permission denied`, 'use a port of 1024 or more, or give the bridge CAP_NET_BIND_SERVICE'));
  else section.findings.push(error('prometheus_bind_failed', `${where}: ${problem}`, 'host must be an address of this machine (127.0.0.1, 0.0.0.0 or one of its interfaces)'));
  return section;
}
