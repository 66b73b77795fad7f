/**
 * Summarises a V8 .cpuprofile (written by `node --cpu-prof`): self time and
 * inclusive (total) time per function, as shares of the sampled busy time
 * (everything but "(idle)").
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface ProfileRow {
  fn: string;
  selfMs: number;
  selfPct: number;
  totalMs: number;
  totalPct: number;
}

export interface ProfileSummary {
  file: string;
  skippedMs: number;
  untilMs: number;
  sampledMs: number;
  idleMs: number;
  busyMs: number;
  gcMs: number;
  programMs: number;
  bySelf: ProfileRow[];
  byTotal: ProfileRow[];
}

function label(cf: CallFrame): string {
  const name = cf.functionName || '(anonymous)';
  if (!cf.url) return name;
  let where = cf.url.replace(/^file:\/\//, '');
  const nm = where.lastIndexOf('node_modules/');
  if (nm >= 0) where = where.slice(nm + 'node_modules/'.length);
  else if (where.includes('/dist/')) where = where.slice(where.indexOf('/dist/') + 1);
  else if (where.startsWith('node:')) where = where.slice(0);
  return `${name} ${where}:${cf.lineNumber + 1}`;
}

/** Only samples from `skipMs` to `untilMs` after the profile's start (the load, not start-up or shutdown). */
export function summarizeProfile(file: string, top = 20, skipMs = 0, untilMs = Infinity): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const n of p.nodes) byId.set(n.id, n);
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  let program = 0;
  let sampled = 0;
  let at = 0;
  // Sample i lasts until the next sample: timeDeltas[i + 1] (the last one: the profile's end).
  for (let i = 0; i < p.samples.length; i++) {
    at += p.timeDeltas[i] / 1000;
    if (at < skipMs || at > untilMs) continue;
    const dt = (i + 1 < p.timeDeltas.length ? p.timeDeltas[i + 1] : 0) / 1000;
    sampled += dt;
    const node = byId.get(p.samples[i]);
    if (!node) continue;
    const key = label(node.callFrame);
    if (node.callFrame.functionName === '(idle)') {
      idle += dt;
      continue;
    }
    if (node.callFrame.functionName === '(garbage collector)') gc += dt;
    if (node.callFrame.functionName === '(program)') program += dt;
    self.set(key, (self.get(key) ?? 0) + dt);
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id)!.callFrame);
      if (k === '(root)' || seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + dt);
    }
  }
  const busy = sampled - idle;
  const rows = (m: Map<string, number>, other: Map<string, number>, selfFirst: boolean): ProfileRow[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, ms]) => {
        const o = other.get(fn) ?? 0;
        const [s, t] = selfFirst ? [ms, o] : [o, ms];
        return { fn, selfMs: s, selfPct: (100 * s) / busy, totalMs: t, totalPct: (100 * t) / busy };
      });
  return { file, skippedMs: skipMs, untilMs, sampledMs: sampled, idleMs: idle, busyMs: busy, gcMs: gc, programMs: program, bySelf: rows(self, total, true), byTotal: rows(total, self, false) };
}

export function formatProfile(s: ProfileSummary): string {
  const out: string[] = [];
  out.push(`profile ${s.file}: ${s.busyMs.toFixed(0)} ms busy of ${s.sampledMs.toFixed(0)} ms sampled (from ${(s.skippedMs / 1000).toFixed(1)} s to ${Number.isFinite(s.untilMs) ? `${(s.untilMs / 1000).toFixed(1)} s` : 'the end'} of the profile: the load only); GC ${((100 * s.gcMs) / s.busyMs).toFixed(1)}% of busy, (program) ${((100 * s.programMs) / s.busyMs).toFixed(1)}%`);
  out.push('top functions by self time (% of busy time; total = inclusive):');
  for (const r of s.bySelf) out.push(`  ${r.selfPct.toFixed(1).padStart(5)}% self ${r.totalPct.toFixed(1).padStart(5)}% total  ${r.fn}`);
  out.push('top functions by inclusive time:');
  for (const r of s.byTotal) out.push(`  ${r.totalPct.toFixed(1).padStart(5)}% total ${r.selfPct.toFixed(1).padStart(5)}% self  ${r.fn}`);
  return out.join('\n');
}
