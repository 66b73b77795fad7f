/**
 * The metric names docs/metrics.md documents: the first column of its tables
 * (with the type in the second), where `prefix_*` stands for a family of names.
 */
export interface DocumentedMetrics {
  /** Prometheus name -> type (`counter`, `gauge`, `histogram`, `summary`, or ``). */
  readonly types: ReadonlyMap<string, string>;
  readonly prefixes: readonly string[];
}

/** A first cell of one or more backticked names (`a`, `b_*`), and the second cell. */
const ROW = /^\|\s*((?:`[A-Za-z_:][A-Za-z0-9_:]*\*?`(?:,\s*)?)+)\s*\|\s*([^|]*)\|/;

const TYPES = ['counter', 'gauge', 'histogram', 'summary'];

export function documentedMetrics(markdown: string): DocumentedMetrics {
  const types = new Map<string, string>();
  const prefixes: string[] = [];
  for (const line of markdown.split('\n')) {
    const m = ROW.exec(line);
    if (!m) continue;
    for (const [, name] of m[1].matchAll(/`([^`]+)`/g)) {
      if (name.endsWith('*')) prefixes.push(name.slice(0, -1));
      else {
        // Other tables (the rename presets') mention a name with something else in their second column: the type, where one is given, wins.
        const type = m[2].trim().replace(/`/g, '');
        if (!types.has(name) || (TYPES.includes(type) && !TYPES.includes(types.get(name)!))) types.set(name, type);
      }
    }
  }
  return { types, prefixes };
}

/** A sample name is documented as it is, or as a series of a documented histogram (`_bucket`, `_sum`, `_count`) or summary (`_sum`, `_count`). */
export function isDocumented(name: string, doc: DocumentedMetrics): boolean {
  if (doc.types.has(name) || doc.prefixes.some((p) => name.startsWith(p))) return true;
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!m) return false;
  const type = doc.types.get(m[1]);
  return type === 'histogram' || (type === 'summary' && m[2] !== 'bucket');
}
