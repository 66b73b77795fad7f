/**
 * The metric names a PromQL expression (or a Grafana variable query) selects,
 * so that dashboards can be checked against docs/metrics.md.
 *
 * Not a full PromQL parser: it removes what cannot hold a metric name (strings,
 * label matchers, ranges, grouping label lists, Grafana variables, numbers and
 * durations), then every identifier that is neither a keyword nor a function
 * call is a metric name. A name given as `{__name__="..."}` is found too; an
 * unknown function is an error rather than a guess.
 */

/** PromQL functions and aggregation operators (Prometheus 2.x and 3.x). */
const FUNCTIONS = new Set(
  `abs absent absent_over_time acos acosh asin asinh atan atanh avg avg_over_time bottomk ceil changes clamp clamp_max
  clamp_min count count_over_time count_values cos cosh day_of_month day_of_week day_of_year days_in_month deg delta
  deriv exp floor group histogram_avg histogram_count histogram_fraction histogram_quantile histogram_stddev
  histogram_stdvar histogram_sum holt_winters double_exponential_smoothing hour idelta increase irate label_join
  label_replace last_over_time limitk limit_ratio ln log10 log2 mad_over_time max max_over_time min min_over_time minute
  month predict_linear present_over_time quantile quantile_over_time rad rate resets round scalar sgn sin sinh sort
  sort_by_label sort_by_label_desc sort_desc sqrt stddev stddev_over_time stdvar stdvar_over_time sum sum_over_time tan
  tanh time timestamp topk vector year info start end`.split(/\s+/),
);

/** Keywords and literals that look like identifiers. */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless', 'atan2', 'inf', 'nan', 'start', 'end']);

const STRING = /"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g;
/** A number or a duration (`0.99`, `1e-3`, `0x1f`, `5m`, `1h30m`); letters after digits never start a name. */
const NUMBER = /(?<![A-Za-z0-9_:])[0-9](?:[eE][+-][0-9]|[0-9A-Za-z._])*/g;
const IDENTIFIER = /[A-Za-z_:][A-Za-z0-9_:]*/g;

/** Grafana's template functions that wrap a PromQL selector or expression. */
function unwrapGrafana(query: string): string {
  return query
    .replace(/\blabel_values\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)/g, ' ')
    .replace(/\blabel_values\(\s*([\s\S]*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/, '$1')
    .replace(/\bquery_result\(\s*([\s\S]*)\)\s*$/, '$1');
}

export function metricNames(expression: string): string[] {
  const names = new Set<string>();
  let s = unwrapGrafana(expression)
    // Grafana variables: ${var}, ${var:format}, $var, $__interval, [[var]].
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g, ' 1 ')
    .replace(/#[^\n]*/g, ' ');
  // Names given as a label matcher, read before the strings go.
  for (const block of s.match(/\{[^}]*\}/g) ?? []) {
    for (const m of block.matchAll(/__name__\s*(=~|!=|!~|=)\s*"([^"]*)"/g)) {
      if (m[1] !== '=') throw new Error(`a metric name matched by ${m[1]} cannot be checked: ${m[0]}`);
      names.add(m[2]);
    }
  }
  s = s.replace(STRING, ' ').replace(/\{[^}]*\}/g, ' ').replace(/\[[^\]]*\]/g, ' ').replace(GROUPING, ' ').replace(NUMBER, ' ');
  for (const m of s.matchAll(IDENTIFIER)) {
    const word = m[0];
    const call = /^\s*\(/.test(s.slice(m.index + word.length));
    if (call) {
      if (!FUNCTIONS.has(word)) throw new Error(`unknown PromQL function ${word}( in: ${expression}`);
      continue;
    }
    if (KEYWORDS.has(word.toLowerCase())) continue;
    names.add(word);
  }
  return [...names];
}
