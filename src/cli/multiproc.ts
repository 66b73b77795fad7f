import { hostname } from 'node:os';
import type { Metric } from '../model/metrics.js';
import { resolveDirectories } from '../receivers/prometheus_multiproc/directories.js';
import { mergeFiles, type MergedFamily } from '../receivers/prometheus_multiproc/merge.js';
import { renderPythonExposition } from '../receivers/prometheus_multiproc/exposition.js';
import { floatToGoString } from '../encoding/python-float.js';
import { MultiprocReader } from '../receivers/prometheus_multiproc/reader.js';
import { diagnoseReading } from '../receivers/prometheus_multiproc/diagnose.js';
import { parse, UsageError } from './args.js';

export const MULTIPROC_HELP = `Usage: sglang-otel-bridge multiproc DIR [options]

Reads a prometheus_client multiprocess directory (SGLang's
PROMETHEUS_MULTIPROC_DIR) once and prints what prometheus_client's
MultiProcessCollector would serve: the same metric names, labels and values,
in Prometheus text format. Damaged files (0 bytes, truncated, garbage) are
skipped with a warning on stderr instead of failing the whole read. DIR may
also be a parent of several multiprocess directories.

Options:
  --format F     prom (default) or otlp-json (OTLP/JSON ExportMetricsServiceRequest)
  --layout L     auto (default), current (prometheus_client >= 0.18), legacy (0.16/0.17)
  --file-access A
                 read (default: one read copies less than mapping every file)
                 or mmap (as the receiver reads; needs native/build/mapped_file.node)
  --per-rank     keep each process's value of a mostrecent gauge written by
                 several processes (SGLang DP attention, sglang #6892)
  --stats        print files read, entries, skipped files by reason and the
                 time taken to stderr
  -h, --help     this help

Exit codes: 0 read (even with skipped files), 1 the directory cannot be read, 2 usage.`;

export async function multiprocCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { format: { type: 'string' }, layout: { type: 'string' }, 'per-rank': { type: 'boolean' }, stats: { type: 'boolean' }, 'file-access': { type: 'string' } }, true);
  if (values.help) {
    console.log(MULTIPROC_HELP);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError('give exactly one DIR');
  const format = (values.format as string | undefined) ?? 'prom';
  if (format !== 'prom' && format !== 'otlp-json') throw new UsageError('--format must be prom or otlp-json');
  const layout = (values.layout as string | undefined) ?? 'auto';
  if (!['auto', 'current', 'legacy'].includes(layout)) throw new UsageError('--layout must be auto, current or legacy');
  const access = (values['file-access'] as string | undefined) ?? 'read';
  if (access !== 'read' && access !== 'mmap') throw new UsageError('--file-access must be read or mmap');
  const started = performance.now();
  const dirs = resolveDirectories(positionals[0], 0);
  if (!dirs.length) {
    console.error(`${positionals[0]}: no such directory`);
    return 1;
  }
  // The OTLP encoding is loaded only when asked for (start-up counts in a one-shot command).
  const otlp = format === 'otlp-json' ? { ...(await import('../encoding/otlp-json.js')), ...(await import('../receivers/prometheus_multiproc/to-metrics.js')) } : undefined;
  let reader: MultiprocReader;
  try {
    reader = new MultiprocReader(layout as 'auto', access);
  } catch (err) {
    console.error((err as Error).message);
    return 1;
  }
  // Every directory is read before anything is printed: output is all or nothing.
  const merged: MergedFamily[][] = [];
  const metrics: Metric[] = [];
  const skipped: Record<string, number> = {};
  let files = 0;
  let entries = 0;
  for (const { path: dir } of dirs) {
    let reading;
    try {
      reading = reader.read(dir);
    } catch (err) {
      console.error(`${dir}: cannot read the directory (${(err as NodeJS.ErrnoException).code ?? err})`);
      return 1;
    }
    for (const s of reading.skipped) {
      console.error(`warning: skipped ${s.file}: ${s.reason}: ${s.detail}`);
      skipped[s.reason] = (skipped[s.reason] ?? 0) + 1;
    }
    const families = mergeFiles(reading.files, floatToGoString, { perRankMostRecent: Boolean(values['per-rank']) });
    for (const d of diagnoseReading(dir, reading, families, false)) if (d.code !== 'multiproc_damaged_files') console.error(`note: ${d.message}; ${d.fix}`);
    files += reading.files.length;
    entries += reading.entries;
    if (format === 'prom') merged.push(families);
    else metrics.push(...otlp!.familiesToMetrics(families, dirs.length > 1 ? { multiproc_dir: dir } : {}, Date.now(), new otlp!.CumulativeClock(), false));
  }
  // Written as it is made (a large directory's text is never held whole); what a pipe does not take at once waits in the process, which exits once it is written (main.ts).
  if (format === 'prom') for (const families of merged) renderPythonExposition(families, (piece) => process.stdout.write(piece));
  else process.stdout.write(JSON.stringify(otlp!.toOtlpJson(metrics, { 'service.name': 'sglang-otel-bridge', 'host.name': hostname() })) + '\n');
  if (values.stats) {
    const ms = performance.now() - started;
    console.error(JSON.stringify({ directories: dirs.length, file_access: reader.access, files_read: files, entries, skipped_files: skipped, parsed_keys: reader.keyCount, milliseconds: Math.round(ms * 100) / 100 }));
  }
  return 0;
}
