import { readdirSync } from 'node:fs';
import type { DirectoryReading } from './reader.js';
import type { MergedFamily } from './merge.js';

/**
 * What is wrong with a multiprocess directory, each finding with its fix
 * (shared/spec/sglang-metrics.md §2). Pure but for `isAlive`.
 */
export interface Diagnosis {
  /** Stable code: the `code` label of bridge_diagnostic. */
  readonly code: string;
  readonly message: string;
  readonly fix: string;
}

/** How long a listing of /proc is trusted before it is read again (thousands of files per pass). */
const LIVENESS_TTL_MS = 10_000;
let live: { pids: Set<string>; listedAtMs: number } | undefined;

/**
 * Whether a pid is a live process on this host (listed in /proc: one
 * directory read for every pid of a pass); undefined when the pid is not a
 * number, or /proc cannot be read.
 */
export function pidAlive(pid: string): boolean | undefined {
  if (!/^\d+$/.test(pid)) return undefined;
  const now = Date.now();
  if (live === undefined || now - live.listedAtMs >= LIVENESS_TTL_MS) {
    try {
      live = { pids: new Set(readdirSync('/proc').filter((n) => /^\d+$/.test(n))), listedAtMs: now };
    } catch {
      return undefined;
    }
  }
  return live.pids.has(pid);
}

export function diagnoseMissing(dir: string): Diagnosis {
  return {
    code: 'multiproc_dir_missing',
    message: `${dir} does not exist (yet); waiting for it`,
    fix: 'start SGLang with PROMETHEUS_MULTIPROC_DIR set to this directory (exported before SGLang starts, so before prometheus_client is imported), and --enable-metrics',
  };
}

export function diagnoseReading(dir: string, reading: DirectoryReading, families: readonly MergedFamily[], sglang: boolean, isAlive: (pid: string) => boolean | undefined = pidAlive): Diagnosis[] {
  const out: Diagnosis[] = [];
  if (reading.files.length === 0 && reading.skipped.length === 0) {
    out.push({
      code: 'multiproc_dir_empty',
      message: `${dir} holds no .db files`,
      fix: 'enable metrics (--enable-metrics, or enable_metrics=True for sgl.Engine); if they are enabled, PROMETHEUS_MULTIPROC_DIR was set after prometheus_client was imported: export it before starting SGLang',
    });
  }
  const damaged = reading.skipped.filter((s) => s.reason !== 'vanished');
  if (damaged.length) {
    out.push({
      code: 'multiproc_damaged_files',
      message: `${damaged.length} damaged file(s) skipped: ${damaged.slice(0, 3).map((d) => `${d.file} (${d.reason})`).join(', ')}${damaged.length > 3 ? ', ...' : ''}`,
      fix: 'remove them (prometheus_client fails every scrape on a 0-byte or damaged file; the bridge skips them)',
    });
  }
  const dead = reading.files.filter((f) => isAlive(f.file.pid) === false);
  if (dead.length) {
    const entries = dead.reduce((n, f) => n + f.keys.length, 0);
    out.push({
      code: 'multiproc_dead_process_files',
      message: `${dead.length} of ${reading.files.length} files belong to processes no longer alive on this host (${entries} of ${reading.entries} entries re-read on every scrape)`,
      fix: 'remove the files of dead processes when the engine restarts (or call prometheus_client.multiprocess.mark_process_dead(pid)); with prometheus_client each one slows every scrape',
    });
  }
  if (reading.layouts.legacy > 0) {
    out.push({
      code: 'multiproc_legacy_layout',
      message: `${reading.layouts.legacy} file(s) use the legacy layout (prometheus_client 0.16/0.17: value only, no timestamp)`,
      fix: 'upgrade prometheus_client to 0.18 or newer in the SGLang environment (SGLang\'s mostrecent gauges need it); the bridge reads both layouts',
    });
  }
  if (sglang) {
    const ranks = diagnoseSchedulerRanks(families);
    if (ranks) out.push(ranks);
  }
  return out;
}

/** Families as read from a directory or parsed from a scrape: only their samples' labels matter here. */
interface LabelledFamilies {
  readonly samples: readonly { readonly labels: readonly (readonly [string, string])[] }[];
}

/**
 * SGLang's scheduler metrics seen for tp_rank "0" only: the other ranks'
 * schedulers write none (sglang #7305). Undefined when several ranks, or no
 * tp_rank label at all, are seen.
 */
export function diagnoseSchedulerRanks(families: readonly LabelledFamilies[]): Diagnosis | undefined {
  const tpRanks = new Set<string>();
  for (const f of families) for (const s of f.samples) for (const [k, v] of s.labels) if (k === 'tp_rank') tpRanks.add(v);
  if (tpRanks.size !== 1 || !tpRanks.has('0')) return undefined;
  return {
    code: 'sglang_scheduler_metrics_rank0_only',
    message: 'scheduler metrics exist for tp_rank="0" only',
    fix: 'with tensor parallelism, only attn_tp_rank 0 writes scheduler metrics: start SGLang with --enable-metrics-for-all-schedulers (sgl.Engine: enable_metrics_for_all_schedulers=True) to see every rank',
  };
}
