/** The printed table of bench/export (markdown, columns padded). */

export interface Row {
  case: string;
  baseline: string;
  bridge: string;
  /** bridge / baseline. */
  ratio: string;
  target: string;
  met: string;
}

export function formatTable(rows: readonly Row[]): string {
  const head: Row = { case: 'case', baseline: 'baseline', bridge: 'bridge', ratio: 'bridge/baseline', target: 'target', met: 'met?' };
  const keys = Object.keys(head) as (keyof Row)[];
  const width = keys.map((k) => Math.max(...[head, ...rows].map((r) => r[k].length)));
  const line = (r: Row) => `| ${keys.map((k, i) => r[k].padEnd(width[i])).join(' | ')} |`;
  return [line(head), `| ${width.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** A number with `digits` decimals and thousands separators. */
export const num = (v: number, digits = 1) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export const ratio = (bridge: number, baseline: number) => `${num(bridge / baseline, 2)}x`;

export const yesNo = (ok: boolean) => (ok ? 'yes' : 'NO');
