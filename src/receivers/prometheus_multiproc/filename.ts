/**
 * What a multiprocess file's name says (shared/spec/multiproc.md §1).
 * prometheus_client splits the base name on `_`: part 0 is the type, for
 * gauges part 1 is the mode and part 2 the pid, else part 1 is the pid, with
 * its last 3 characters (`.db`) cut off. A pid containing `_` is therefore
 * truncated: `gauge_all_worker_7.db` gives pid `wor` (`worker` less 3
 * characters). This reproduces prometheus_client exactly, so the `pid`
 * label matches what its /metrics would show.
 */
export type FileKind = 'counter' | 'gauge' | 'histogram' | 'summary';

export const GAUGE_MODES = ['all', 'liveall', 'min', 'livemin', 'max', 'livemax', 'sum', 'livesum', 'mostrecent', 'livemostrecent'] as const;
export type GaugeMode = (typeof GAUGE_MODES)[number];

export interface DbFileName {
  readonly kind: FileKind;
  /** Gauge mode; undefined for other kinds. */
  readonly mode?: GaugeMode;
  readonly pid: string;
}

export function parseDbFileName(base: string): DbFileName | { problem: string } {
  if (!base.endsWith('.db')) return { problem: 'not a .db file' };
  const parts = base.split('_');
  const kind = parts[0];
  if (kind === 'gauge') {
    const mode = parts[1] as GaugeMode;
    if (parts.length < 3 || !GAUGE_MODES.includes(mode)) return { problem: `gauge file without a known mode (${GAUGE_MODES.join(', ')})` };
    return { kind, mode, pid: parts[2].slice(0, -3) };
  }
  if (kind === 'counter' || kind === 'histogram' || kind === 'summary') {
    if (parts.length < 2) return { problem: 'no pid in the name' };
    return { kind, pid: parts[1].slice(0, -3) };
  }
  return { problem: `unknown prefix "${kind}" (expected counter, gauge_<mode>, histogram or summary)` };
}
