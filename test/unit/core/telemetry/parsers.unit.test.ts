import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseCsvSeries, CsvSeriesParser, splitCsvLine } from '../../../../src/core/telemetry/csv';
import { fieldSeries, logRateSeries, parseJsonLines, JsonLinesParser } from '../../../../src/core/telemetry/logs';
import { LineSplitter } from '../../../../src/core/telemetry/lineSplitter';
import { OpenMetricsParser, parseOpenMetrics } from '../../../../src/core/telemetry/openMetrics';

/** Feeds text to a streaming parser in pieces cut at the given fractions. */
function feed(parser: { push(s: string): void }, text: string, cuts: number[]): void {
  const points = [...new Set(cuts.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
  let at = 0;
  for (const p of points) {
    parser.push(text.slice(at, p));
    at = p;
  }
  parser.push(text.slice(at));
}

const labelValue = fc.string({ maxLength: 12 }).filter((s) => !s.includes('\u0000'));
const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

describe('line splitting of streamed text', () => {
  it('gives the same lines however the text is cut, strips \\r, and skips an overlong line', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', 'bb', '\n', '\r\n', 'ccc'), { maxLength: 40 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 5 }), (parts, cuts) => {
        const text = parts.join('');
        const got: string[] = [];
        const splitter = new LineSplitter((t, s, e) => got.push(t.slice(s, e)));
        feed(splitter, text, cuts);
        splitter.end();
        const want = text.split('\n').map((l) => l.replace(/\r$/, ''));
        if (want[want.length - 1] === '') want.pop();
        assert.deepEqual(got, want);
        assert.equal(splitter.lineNo, want.length);
      }),
    );
    const got: string[] = [];
    const overlong: number[] = [];
    const splitter = new LineSplitter((t, s, e) => got.push(t.slice(s, e)), 100, (n) => overlong.push(n));
    splitter.push('first\n');
    const started = Date.now();
    for (let i = 0; i < 2000; i++) splitter.push('x'.repeat(64 * 1024));
    splitter.push('tail of the long one\nthird\n');
    splitter.end();
    assert.deepEqual(got, ['first', 'third']);
    assert.deepEqual(overlong, [2]);
    assert.equal(splitter.lineNo, 3);
    assert.ok(Date.now() - started < 2000, '128 MB without a line break is not quadratic');
  });
});

describe('OpenMetrics parser', () => {
  it('reads samples with labels, timestamps, NaN and ±Inf, types, exemplars and # EOF', () => {
    const text = [
      '# HELP app_latency_seconds Latency.',
      '# TYPE app_latency_seconds gauge',
      'app_latency_seconds{service="checkout",path="/a b"} 0.2012 1795872077',
      'app_latency_seconds{service="checkout",path="/a b"} NaN 1795872092',
      'app_latency_seconds{service="checkout",path="/a b"} +Inf 1795872107',
      '# TYPE http_requests counter',
      'http_requests_total{code="500"} 17 1795872077.5 # {trace_id="abc"} 1 1795872077',
      'http_requests_total{code="500"} -Inf 1795872092',
      'up 1 1795872077',
      '# EOF',
      '',
    ].join('\n');
    const r = parseOpenMetrics(text);
    assert.equal(r.issueCount, 0, JSON.stringify(r.issues));
    assert.equal(r.samples, 6);
    assert.equal(r.sawEof, true);
    assert.deepEqual(r.types, { app_latency_seconds: 'gauge', http_requests: 'counter' });
    const [latency, requests, up] = r.series;
    assert.deepEqual(latency!.labels, { service: 'checkout', path: '/a b' });
    assert.deepEqual([...latency!.times], [1795872077, 1795872092, 1795872107]);
    assert.equal(latency!.values[0], 0.2012);
    assert.ok(Number.isNaN(latency!.values[1]!));
    assert.equal(latency!.values[2], Infinity);
    assert.equal(requests!.name, 'http_requests_total');
    assert.deepEqual([...requests!.values], [17, -Infinity]);
    assert.equal(requests!.times[0], 1795872077.5);
    assert.deepEqual(up!.labels, {});
  });

  it('reports bad lines with their line numbers and keeps everything else', () => {
    const text = ['ok 1 10', 'ok{a="x" 1 20', 'ok 1', 'ok abc 30', '9bad 1 40', 'ok{a="1",a="2"} 1 50', 'ok 2 60 extra', 'ok 3 70', '# EOF', 'late 1 80'].join('\n');
    const r = parseOpenMetrics(text);
    assert.deepEqual(
      r.issues.map((i) => i.line),
      [2, 3, 4, 5, 6, 7, 10],
    );
    assert.match(r.issues[0]!.message, /not closed/);
    assert.match(r.issues[1]!.message, /no timestamp/);
    assert.match(r.issues[2]!.message, /'abc' is not a number/);
    assert.match(r.issues[4]!.message, /appears twice/);
    assert.match(r.issues[6]!.message, /after "# EOF"/);
    assert.deepEqual([...r.series[0]!.values], [1, 3]);
  });

  it('reads the Prometheus text format (millisecond timestamps) and samples without time when given one', () => {
    const ms = parseOpenMetrics('up{job="a"} 1 1795872077000\n', { timestampUnit: 'milliseconds' });
    assert.equal(ms.series[0]!.times[0], 1795872077);
    const snapshot = parseOpenMetrics('up 1\n', { defaultTime: 42 });
    assert.equal(snapshot.series[0]!.times[0], 42);
  });

  it('keeps only accepted series (decided once per series)', () => {
    let calls = 0;
    const r = parseOpenMetrics('a{x="1"} 1 1\nb 2 1\na{x="1"} 3 2\na{x="2"} 4 2\n', {
      accept: (name, labels) => {
        calls++;
        return name === 'a' && labels.x === '1';
      },
    });
    assert.equal(calls, 3);
    assert.equal(r.series.length, 1);
    assert.deepEqual([...r.series[0]!.values], [1, 3]);
  });

  it('gives the same series however the text is cut into chunks, for generated data (property)', () => {
    const sample = fc.record({
      name: fc.constantFrom('m', 'app_latency_seconds', 'http_requests_total'),
      labels: fc.dictionary(fc.constantFrom('a', 'service', 'le', '__proto__', 'x_y'), labelValue, { maxKeys: 3 }),
      value: fc.oneof(fc.double({ noDefaultInfinity: false, noNaN: false }), fc.integer()),
      time: fc.integer({ min: 1_600_000_000, max: 1_700_000_000 }),
    });
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 60 }), fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (samples, cuts) => {
        const lines = samples.map((s) => {
          const keys = Object.keys(s.labels);
          const labels = keys.length ? `{${keys.map((k) => `${k}="${escape(s.labels[k]!)}"`).join(',')}}` : '';
          const v = Number.isNaN(s.value) ? 'NaN' : s.value === Infinity ? '+Inf' : s.value === -Infinity ? '-Inf' : Object.is(s.value, -0) ? '-0' : String(s.value);
          return `${s.name}${labels} ${v} ${s.time}`;
        });
        const text = `${lines.join('\n')}\n# EOF\n`;
        const parser = new OpenMetricsParser();
        feed(parser, text, cuts);
        const r = parser.end();
        assert.equal(r.issueCount, 0, JSON.stringify(r.issues.slice(0, 2)));
        // Expected: per series key, last value per time, sorted by time.
        const expected = new Map<string, Map<number, number>>();
        for (const s of samples) {
          const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
          if (!expected.has(key)) expected.set(key, new Map());
          expected.get(key)!.set(s.time, s.value);
        }
        assert.equal(r.series.length, expected.size);
        for (const s of r.series) {
          const key = `${s.name}${JSON.stringify(Object.entries(s.labels).sort())}`;
          const want = [...expected.get(key)!.entries()].sort((a, b) => a[0] - b[0]);
          assert.deepEqual([...s.times], want.map((w) => w[0]));
          want.forEach(([, v], i) => assert.ok(Object.is(s.values[i], v), `${key} value ${i}: ${s.values[i]} vs ${v}`));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on mutated input: every problem is an issue (fuzz)', () => {
    const base = 'a{x="1"} 1 10\nb 2.5e3 20 # {t="1"} 1\n# TYPE a gauge\nc{y="q\\"z"} NaN 30\n# EOF\n';
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(base.length), fc.string({ maxLength: 4 })), { maxLength: 8 }), (edits) => {
        let text = base;
        for (const [at, insert] of edits) text = text.slice(0, at % (text.length + 1)) + insert + text.slice((at % (text.length + 1)) + 1);
        const r = parseOpenMetrics(text);
        assert.ok(r.samples >= 0 && r.issueCount >= r.issues.length);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('CSV series parser', () => {
  it('reads timestamp,value (one series) with RFC 3339 or Unix times and quoted fields', () => {
    const r = parseCsvSeries('timestamp,value\n1714564800,0.5\n2024-05-01T12:00:15Z,0.75\n"1714564830","1e-1"\n', { name: 'latency' });
    assert.equal(r.shape, 'long');
    assert.equal(r.issueCount, 0);
    assert.equal(r.series.length, 1);
    assert.equal(r.series[0]!.name, 'latency');
    assert.deepEqual([...r.series[0]!.times], [1714564800, 1714564815, 1714564830]);
    assert.deepEqual([...r.series[0]!.values], [0.5, 0.75, 0.1]);
  });

  it('reads the long form with a name column and labels, and the wide form', () => {
    const long = parseCsvSeries('time,metric,service,value\n10,lat,checkout,1\n10,lat,payments,2\n20,lat,checkout,NaN\n');
    assert.equal(long.series.length, 2);
    assert.deepEqual(long.series[0]!.labels, { service: 'checkout' });
    assert.equal(long.series[0]!.name, 'lat');
    assert.ok(Number.isNaN(long.series[0]!.values[1]!));
    const wide = parseCsvSeries('_time,checkout,payments,_span\n10,1,,60\n20,2,3,60\n');
    assert.equal(wide.shape, 'wide');
    assert.deepEqual(
      wide.series.map((s) => [s.name, [...s.times]]),
      [
        ['checkout', [10, 20]],
        ['payments', [20]],
      ],
    );
  });

  it('reports rows that do not fit, with line numbers, and handles quotes across lines and chunks', () => {
    const text = 'timestamp,note,value\n10,"two\nlines",1\n20,x\n30,y,abc\nbad,z,1\n40,"a ""quoted"" note",2\n';
    const parser = new CsvSeriesParser();
    feed(parser, text, [0.13, 0.31, 0.5, 0.77]);
    const r = parser.end();
    assert.deepEqual(r.issues.map((i) => [i.line, i.message]), [
      [4, '2 fields where the header has 3'],
      [5, "'abc' is not a number"],
      [6, "'bad' is not a time (Unix seconds or RFC 3339)"],
    ]);
    assert.deepEqual(r.series.map((s) => s.labels.note), ['two\nlines', 'a "quoted" note']);
    assert.deepEqual(splitCsvLine('a,"b,c",d'), ['a', 'b,c', 'd']);
    assert.equal(splitCsvLine('a,"b'), undefined);
    assert.match(parseCsvSeries('x,y\n1,2\n').issues[0]!.message, /no time column/);
  });
});

describe('JSON lines logs', () => {
  it('reads common shapes: ISO or epoch (s/ms/ns) times, level names and pino numbers, msg or message', () => {
    const text = [
      '{"time":"2024-05-01T12:00:00Z","level":"error","msg":"payment failed","latency_ms":812}',
      '{"ts":1714564801.5,"severity":"WARNING","message":"slow"}',
      '{"time":1714564802000,"level":50,"msg":"pino error"}',
      '{"@timestamp":"1714564803000000000","lvl":"Info","event":"done","latency_ms":"20"}',
    ].join('\n');
    const r = parseJsonLines(text);
    assert.equal(r.issueCount, 0);
    assert.deepEqual(
      r.records.map((x) => [x.time, x.level, x.message]),
      [
        [1714564800, 'error', 'payment failed'],
        [1714564801.5, 'warn', 'slow'],
        [1714564802, 'error', 'pino error'],
        [1714564803, 'info', 'done'],
      ],
    );
    const latency = fieldSeries(r.records, 'latency_ms');
    assert.deepEqual([...latency.values], [812, 20]);
  });

  it('counts bad lines with their numbers and skips a torn last line', () => {
    const parser = new JsonLinesParser();
    feed(parser, '{"time":1,"msg":"a"}\nnot json\n[1,2]\n{"msg":"no time"}\n{"time":2,"msg":"b"}\n{"time":3,"ms', [0.2, 0.6]);
    const r = parser.end();
    assert.deepEqual(r.issues.map((i) => i.line), [2, 3, 4]);
    assert.equal(r.tornLastLine, true);
    assert.equal(r.records.length, 2);
  });

  it('counts lines per interval and level, zeros where nothing was logged', () => {
    const { records } = parseJsonLines('{"time":0,"level":"error"}\n{"time":5,"level":"error"}\n{"time":65,"level":"info"}\n{"time":130}\n');
    const series = logRateSeries(records, 0, 120, 60);
    assert.deepEqual(series.map((s) => [s.labels.level, [...s.values]]), [
      ['error', [2, 0, 0]],
      ['info', [0, 1, 0]],
      ['none', [0, 0, 1]],
    ]);
  });
});
