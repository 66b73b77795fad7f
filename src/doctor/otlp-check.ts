import type { OtlpHttpExporterConfig } from '../exporters/otlp_http/config.js';
import { error, newSection, warning, type Section } from './finding.js';

/** Longest wait for the endpoint's answer (ms), whatever the exporter's timeout. */
const PROBE_TIMEOUT_MS = 5000;

/**
 * Checks an otlp_http exporter: sends one empty ExportMetricsServiceRequest
 * (0 bytes of protobuf, or {} in JSON) with the configured headers. Any
 * HTTP answer proves the endpoint reachable; 401/403 and 404 are findings.
 */
export async function checkOtlpHttp(id: string, config: OtlpHttpExporterConfig): Promise<Section> {
  const section = newSection(id, 'exporter', 'otlp_http');
  const json = config.protocol === 'http/json';
  const timeoutMs = Math.min(config.timeoutMs, PROBE_TIMEOUT_MS);
  section.details.endpoint = config.endpoint;
  let status: number;
  try {
    const res = await fetch(config.endpoint, {
      method: 'POST',
      headers: { ...config.headers, 'content-type': json ? 'application/json' : 'application/x-protobuf' },
      body: json ? '{}' : new Uint8Array(0),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    status = res.status;
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message);
    section.details.reachable = false;
    section.findings.push(error('otlp_unreachable', `${config.endpoint}: ${why}`, 'start the OTLP receiver (an OpenTelemetry Collector listens on 4318 with the otlp receiver\'s http protocol) or correct endpoint; check firewalls and proxies between here and there'));
    return section;
  }
  section.details.reachable = true;
  section.details.status = status;
  if (status === 401 || status === 403) section.findings.push(error('otlp_auth_rejected', `${config.endpoint}: HTTP ${status} to an empty export`, 'the backend wants credentials: set headers (e.g. {"authorization": "Bearer ${env:OTLP_TOKEN}"}) and export the variables they use'));
  else if (status === 404) section.findings.push(warning('otlp_wrong_path', `${config.endpoint}: HTTP 404`, 'the server answers but not at this path: OTLP/HTTP metrics go to /v1/metrics (give the full URL)'));
  else if (status >= 500) section.findings.push(warning('otlp_server_error', `${config.endpoint}: HTTP ${status} to an empty export`, 'the backend is reachable but failing: see its log; the exporter retries 502, 503 and 504'));
  else section.facts.push(`${config.endpoint}: reachable (HTTP ${status} to an empty ${config.protocol} export)`);
  return section;
}
