import type { MergedFamily } from './merge.js';
import { floatToGoString } from '../../encoding/python-float.js';

/**
 * prometheus_client's generate_latest() text for merged families: HELP and
 * TYPE per family (counters as `<name>_total`), labels sorted by name,
 * values as Python prints them. What `sglang-otel-bridge multiproc DIR` prints.
 */
const NEEDS_ESCAPE = /[\\\n"]/;

function escapeValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

export function renderPythonExposition(families: readonly MergedFamily[]): string {
  const out: string[] = [];
  for (const f of families) {
    const name = f.type === 'counter' ? `${f.name}_total` : f.name;
    out.push(`# HELP ${name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    out.push(`# TYPE ${name} ${f.type}`);
    for (const s of f.samples) {
      const labels = [...s.labels].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',')}}` : '';
      out.push(`${s.name}${text} ${floatToGoString(s.value)}`);
    }
  }
  return out.length ? out.join('\n') + '\n' : '';
}
