/**
 * A multiprocess entry's key: `json.dumps([metric_name, sample_name, labels, help_text], sort_keys=True)`
 * (3 elements, without help, before prometheus_client 0.16).
 */
export interface ParsedKey {
  readonly metricName: string;
  readonly sampleName: string;
  /** Label pairs sorted by name (prometheus_client's `labels_key`). */
  readonly labels: readonly (readonly [string, string])[];
  readonly help: string;
  /** Canonical text of the label set, for grouping: `name\u0000value\u0001...`. */
  readonly labelsKey: string;
  /** sampleName + '\u0002' + labelsKey: a series' identity, made once per distinct key. */
  readonly sampleKey: string;
}

export function parseKey(text: string): ParsedKey | { problem: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { problem: 'key is not JSON' };
  }
  if (!Array.isArray(parsed) || (parsed.length !== 4 && parsed.length !== 3)) return { problem: 'key is not a 4-element JSON array [metric, sample, labels, help]' };
  const [metricName, sampleName, labels, help = ''] = parsed as unknown[];
  if (typeof metricName !== 'string' || typeof sampleName !== 'string' || typeof help !== 'string') return { problem: 'key elements have the wrong types' };
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) return { problem: 'key labels are not an object' };
  const pairs: [string, string][] = [];
  let sorted = true;
  for (const k in labels) {
    if (pairs.length && pairs[pairs.length - 1][0] > k) sorted = false;
    pairs.push([k, String((labels as Record<string, unknown>)[k])]);
  }
  // json.dumps(sort_keys=True) wrote them sorted already; sorted here only when not (a hand-made key)
  if (!sorted) pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const parts: string[] = [sampleName, '\u0002'];
  for (const [k, v] of pairs) parts.push(k, '\u0000', v, '\u0001');
  // Joined, not concatenated piece by piece: one flat string each, nothing kept of the pieces (keys live as long as their files).
  const sampleKey = parts.join('');
  return { metricName, sampleName, labels: pairs, help, labelsKey: sampleKey.slice(sampleName.length + 1), sampleKey };
}
