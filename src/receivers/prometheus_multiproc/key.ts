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
  /** Canonical text of the label set, for grouping (see sampleKeyOf, labelsKeyWithout: made and cut in this module only). */
  readonly labelsKey: string;
  /** sampleName + '\u0002' + labelsKey: a series' identity, made once per distinct key. */
  readonly sampleKey: string;
}

export function parseKey(text: string): ParsedKey | { problem: string } {
  return parseCanonicalKey(text) ?? parseKeyAsJson(text);
}

/** A backslash (an escape), or a control character (JSON allows none unescaped: JSON.parse rejects the key). */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const ESCAPE_OR_CONTROL = /[\\\u0000-\u001f]/;

/**
 * A key as prometheus_client writes it (json.dumps with its default
 * separators and ASCII escapes, sort_keys=True), read without JSON.parse:
 * `["metric", "sample", {"a": "1", "b": "2"}, "help"]` (or without help).
 * Undefined for anything else (an escape, another spacing, unsorted or
 * repeated label names, a value that is not a string): JSON.parse reads those.
 */
export function parseCanonicalKey(text: string): ParsedKey | undefined {
  if (ESCAPE_OR_CONTROL.test(text)) return undefined;
  const n = text.length;
  if (text.charCodeAt(0) !== 0x5b || text.charCodeAt(1) !== 0x22) return undefined; // ["
  let end = text.indexOf('"', 2);
  if (end < 0) return undefined;
  const metricName = text.slice(2, end);
  if (!text.startsWith(', "', end + 1)) return undefined;
  let at = end + 4;
  end = text.indexOf('"', at);
  if (end < 0) return undefined;
  const sampleName = text.slice(at, end);
  if (!text.startsWith(', {', end + 1)) return undefined;
  at = end + 4;
  const pairs: [string, string][] = [];
  if (text.charCodeAt(at) !== 0x7d) {
    // "name": "value" pairs, separated by ", "
    for (;;) {
      if (text.charCodeAt(at) !== 0x22) return undefined;
      end = text.indexOf('"', at + 1);
      if (end < 0 || !text.startsWith(': "', end + 1)) return undefined;
      const name = text.slice(at + 1, end);
      at = end + 4;
      end = text.indexOf('"', at);
      if (end < 0) return undefined;
      const value = text.slice(at, end);
      if (pairs.length && !(pairs[pairs.length - 1][0] < name)) return undefined;
      pairs.push([name, value]);
      at = end + 1;
      if (text.charCodeAt(at) === 0x7d) break; // }
      if (!text.startsWith(', ', at)) return undefined;
      at += 2;
    }
  }
  at++; // past }
  let help = '';
  if (text.startsWith(', "', at)) {
    end = text.indexOf('"', at + 3);
    if (end < 0) return undefined;
    help = text.slice(at + 3, end);
    at = end + 1;
  }
  if (at !== n - 1 || text.charCodeAt(at) !== 0x5d) return undefined; // ] ends the key
  return parsedKey(metricName, sampleName, pairs, help);
}

/** Any key JSON.parse reads (what parseCanonicalKey leaves), checked element by element. */
export function parseKeyAsJson(text: string): ParsedKey | { problem: string } {
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
  return parsedKey(metricName, sampleName, pairs, help);
}

const SAMPLE_SEPARATOR = '\u0002';

/** A parsed key from its parts, label pairs sorted by name: its labelsKey and sampleKey made here, the one place that knows their text. */
function parsedKey(metricName: string, sampleName: string, pairs: [string, string][], help: string): ParsedKey {
  const parts: string[] = [sampleName, SAMPLE_SEPARATOR];
  for (let i = 0; i < pairs.length; i++) parts.push(pairs[i][0], '\u0000', pairs[i][1], '\u0001');
  // Joined, not concatenated piece by piece: one flat string each, nothing kept of the pieces (keys live as long as their files).
  const sampleKey = parts.join('');
  return { metricName, sampleName, labels: pairs, help, labelsKey: sampleKey.slice(sampleName.length + 1), sampleKey };
}

/** The sampleKey of a sample named `sampleName` with the label set whose labelsKey is `labelsKey`. */
export function sampleKeyOf(sampleName: string, labelsKey: string): string {
  return sampleName + SAMPLE_SEPARATOR + labelsKey;
}

/** `key`'s labelsKey without its label pair `index` (a histogram bucket's label set without `le`). */
export function labelsKeyWithout(key: ParsedKey, index: number): string {
  let at = 0;
  for (let i = 0; i < index; i++) at += key.labels[i][0].length + key.labels[i][1].length + 2;
  const end = at + key.labels[index][0].length + key.labels[index][1].length + 2;
  return key.labelsKey.slice(0, at) + key.labelsKey.slice(end);
}
