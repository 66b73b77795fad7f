import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseExposition, parseNumber } from '../../src/receivers/prometheus_scrape/parse.js';

const flat = (text: string, om = false) =>
  parseExposition(text, om).families.flatMap((f) => f.samples.map((s) => ({ family: f.name, type: f.type, name: s.name, labels: Object.fromEntries(s.labels), value: s.value, ts: s.timestampMs })));

test('numbers: floats, exponents, +Inf, -Inf, NaN; garbage refused', () => {
  assert.equal(parseNumber('1.5e+06'), 1.5e6);
  assert.equal(parseNumber('+Inf'), Infinity);
  assert.equal(parseNumber('-Inf'), -Infinity);
  assert.ok(Number.isNaN(parseNumber('NaN')));
  assert.equal(parseNumber('-0.25'), -0.25);
  assert.equal(parseNumber('.5'), 0.5);
  assert.throws(() => parseNumber('12abc'));
  assert.throws(() => parseNumber(''));
});

const TABLE: [string, string, ReturnType<typeof flat>][] = [
  [
    'a 0.0.4 counter named with _total in TYPE, HELP with escapes',
    '# HELP sglang:prompt_tokens_total Tokens \\\\ processed\\nsecond line\n# TYPE sglang:prompt_tokens_total counter\nsglang:prompt_tokens_total{model_name="m"} 15.0\n',
    [{ family: 'sglang:prompt_tokens_total', type: 'counter', name: 'sglang:prompt_tokens_total', labels: { model_name: 'm' }, value: 15, ts: undefined }],
  ],
  [
    'label values with escaped quote, backslash and newline; spaces and a trailing comma',
    'm{a="x\\"y", b="c\\\\d",c="l1\\nl2",} 1\n',
    [{ family: 'm', type: 'untyped', name: 'm', labels: { a: 'x"y', b: 'c\\d', c: 'l1\nl2' }, value: 1, ts: undefined }],
  ],
  [
    'a histogram: buckets, sum and count belong to the family',
    '# TYPE h histogram\nh_bucket{le="0.1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 0.3\nh_count 2\n',
    [
      { family: 'h', type: 'histogram', name: 'h_bucket', labels: { le: '0.1' }, value: 1, ts: undefined },
      { family: 'h', type: 'histogram', name: 'h_bucket', labels: { le: '+Inf' }, value: 2, ts: undefined },
      { family: 'h', type: 'histogram', name: 'h_sum', labels: {}, value: 0.3, ts: undefined },
      { family: 'h', type: 'histogram', name: 'h_count', labels: {}, value: 2, ts: undefined },
    ],
  ],
  [
    'a summary with quantiles',
    '# TYPE s summary\ns{quantile="0.5"} 2\ns_sum 9\ns_count 3\n',
    [
      { family: 's', type: 'summary', name: 's', labels: { quantile: '0.5' }, value: 2, ts: undefined },
      { family: 's', type: 'summary', name: 's_sum', labels: {}, value: 9, ts: undefined },
      { family: 's', type: 'summary', name: 's_count', labels: {}, value: 3, ts: undefined },
    ],
  ],
  ['0.0.4 timestamps are milliseconds', 'g 1 1700000000000\n', [{ family: 'g', type: 'untyped', name: 'g', labels: {}, value: 1, ts: 1700000000000 }]],
  ['values +Inf, -Inf, NaN', 'a +Inf\nb -Inf\n', [
    { family: 'a', type: 'untyped', name: 'a', labels: {}, value: Infinity, ts: undefined },
    { family: 'b', type: 'untyped', name: 'b', labels: {}, value: -Infinity, ts: undefined },
  ]],
  ['comments and blank lines are ignored; CRLF line ends', '# just a comment\n\r\n# TYPE g gauge\r\ng 3\r\n', [{ family: 'g', type: 'gauge', name: 'g', labels: {}, value: 3, ts: undefined }]],
];

for (const [name, text, expected] of TABLE) test(`0.0.4: ${name}`, () => assert.deepEqual(flat(text), expected));

test('OpenMetrics: counter family without _total, _created, UNIT, exemplar ignored, timestamps in seconds, # EOF ends', () => {
  const text = [
    '# TYPE c counter',
    '# UNIT c seconds',
    '# HELP c A counter.',
    'c_total{a="1"} 17 # {trace_id="abc"} 1.0 1700000000.5',
    'c_created{a="1"} 1700000000.0',
    '# TYPE g unknown',
    'g 2.5 1700000000.25',
    '# EOF',
    'after_eof 1',
  ].join('\n');
  const r = parseExposition(text);
  assert.ok(r.openMetrics);
  assert.deepEqual(r.errors, []);
  const c = r.families.find((f) => f.name === 'c')!;
  assert.equal(c.type, 'counter');
  assert.equal(c.unit, 'seconds');
  assert.deepEqual(c.samples.map((s) => [s.name, s.value]), [['c_total', 17], ['c_created', 1700000000]]);
  const g = r.families.find((f) => f.name === 'g')!;
  assert.equal(g.type, 'untyped');
  assert.equal(g.samples[0].timestampMs, 1700000000250);
  assert.equal(r.families.some((f) => f.name === 'after_eof'), false);
});

test('a broken line is reported with its number and the rest is kept', () => {
  const r = parseExposition('good 1\nbad{a="1" 2\nworse{a=1} 3\nnovalue\nalso_good{x="y"} 4\n');
  assert.deepEqual(r.families.map((f) => f.name), ['good', 'also_good']);
  assert.deepEqual(r.errors.map((e) => e.line), [2, 3, 4]);
});

test('an unknown TYPE is an error on that line', () => {
  const r = parseExposition('# TYPE x wibble\nx 1\n');
  assert.equal(r.errors.length, 1);
  assert.equal(r.errors[0].line, 1);
});

test('a label intern gives the same label arrays to the same series scrape after scrape, and forgets what went away', async () => {
  const { LabelIntern, parseExposition: parse } = await import('../../src/receivers/prometheus_scrape/parse.js');
  const intern = new LabelIntern();
  const text = (v: number) => `# TYPE a gauge\na{x="1",y="a b"} ${v}\na{x="2"} 1\n`;
  const first = parse(text(1), false, intern).families[0]!.samples;
  const second = parse(text(2), false, intern).families[0]!.samples;
  assert.equal(second[0]!.labels, first[0]!.labels);
  assert.equal(second[1]!.labels, first[1]!.labels);
  assert.deepEqual(second[0]!.labels, [['x', '1'], ['y', 'a b']]);
  assert.equal(second[0]!.value, 2);
  parse('a{x="3"} 1\n', false, intern);
  const after = parse(text(3), false, intern).families[0]!.samples;
  assert.notEqual(after[0]!.labels, first[0]!.labels, 'a series absent from the last scrape is parsed anew');
});
