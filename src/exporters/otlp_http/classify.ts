import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPExporterError } from '@opentelemetry/otlp-exporter-base';
import { DELIVERED, type SendOutcome } from '../delivery/outcome.js';

/** HTTP answers worth another try (the OTLP specification's list). */
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);

/**
 * What an OTLP library export result means for the bridge's queue.
 * - success: delivered.
 * - an HTTP error status: 429/502/503/504 retryable (the library already
 *   retried them within the timeout), any other status permanent (a 400 or
 *   401 will not get better; a 500 is not retried either, as in the
 *   OpenTelemetry Collector and opentelemetry-js).
 * - no status (connection refused or reset, timeout): retryable.
 */
export function classifyExportResult(result: ExportResult): SendOutcome {
  if (result.code === ExportResultCode.SUCCESS) return DELIVERED;
  const error = result.error;
  if (error instanceof OTLPExporterError && typeof error.code === 'number') {
    const body = typeof error.data === 'string' && error.data ? `: ${error.data.slice(0, 200)}` : '';
    const reason = `HTTP ${error.code} ${error.message ?? ''}${body}`.trim();
    return RETRYABLE_STATUS.has(error.code) ? { kind: 'retryable', reason } : { kind: 'permanent', reason };
  }
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return { kind: 'retryable', reason: code ? `${code} ${error?.message ?? ''}`.trim() : (error?.message ?? 'export failed') };
}
