import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpsloopError } from '../../../../src/core/errors';
import { datadogErrorMessage, decodeDatadogQuery } from '../../../../src/core/telemetry/datadogApi';
import { decodeDynatraceMetrics, dynatraceErrorMessage, dynatraceResolution } from '../../../../src/core/telemetry/dynatraceApi';
import { decodePrometheusQuery, decodePrometheusStrings, prometheusErrorMessage } from '../../../../src/core/telemetry/prometheusApi';
import { parseDecimal, parseDecimalBytes } from '../../../../src/core/telemetry/decimal';
import { decodeMatrixFast } from '../../../../src/core/telemetry/prometheusMatrix';
import { parseSelector } from '../../../../src/core/telemetry/selector';
import { SplunkExportDecoder, splunkTime, timechartSplitField } from '../../../../src/core/telemetry/splunkApi';

const isKind = (kind: string) => (e: unknown) => OpsloopError.is(e) && e.kind === kind;

describe('API formats', () => {
  it('Prometheus: matrix with NaN/±Inf strings, warnings and infos surfaced, errors typed', () => {
    const body = JSON.stringify({
      status: 'success',
      data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'a' }, values: [[10, '1'], [25, 'NaN'], [40, '+Inf'], [55, '-Inf'], [70, '1e-3']] }, { metric: { job: 'b' }, values: [] }] },
      warnings: ['PromQL info: metric might not be a counter'],
      infos: ['x'],
    });
    const { result, samples } = decodePrometheusQuery(body, 'q');
    assert.equal(samples, 5);
    assert.equal(result.series[0]!.name, 'up');
    assert.deepEqual(result.series[0]!.labels, { job: 'a' });
    assert.deepEqual([...result.series[0]!.values].map(String), ['1', 'NaN', 'Infinity', '-Infinity', '0.001']);
    assert.equal(result.series[1]!.name, 'q');
    assert.deepEqual(result.warnings, ['Prometheus: PromQL info: metric might not be a counter', 'Prometheus (info): x']);
    assert.throws(() => decodePrometheusQuery('{"status":"error","errorType":"bad_data","error":"parse error"}', 'q'), isKind('invalidInput'));
    assert.throws(() => decodePrometheusQuery('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"x"]]}]}}', 'q'), isKind('server'));
    assert.throws(() => decodePrometheusQuery('<html>', 'q'), /not JSON \(6 bytes starting with "<html>"\)/);
    assert.equal(prometheusErrorMessage('{"status":"error","errorType":"execution","error":"too many"}'), 'execution: too many');
    assert.deepEqual(decodePrometheusStrings('{"status":"success","data":["a","b",3]}'), ['a', 'b']);
  });

  it('decimal fast path gives exactly what Number() gives, or steps aside', () => {
    const check = (text: string): void => {
      const want = Number(text);
      const bytes = new TextEncoder().encode(text);
      for (const got of [parseDecimal(text, 0, text.length), parseDecimalBytes(bytes, 0, bytes.length)]) {
        if (got !== undefined) assert.ok(Object.is(got, want), `${text}: ${got} vs ${want}`);
      }
    };
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (v) => check(String(v))));
    fc.assert(fc.property(fc.stringMatching(/^[+-]?\d{0,18}(\.\d{0,18})?([eE][+-]?\d{1,3})?$/), check));
    for (const t of ['0', '-0', '1.', '.5', '0.1', '1e22', '1e23', '123456789012345', '1234567890123456', '9007199254740993', '1e-22', '2.5e-3']) check(t);
    assert.equal(parseDecimal('0x10', 0, 4), undefined);
    assert.equal(parseDecimal('', 0, 0), undefined);
    assert.ok(Object.is(parseDecimal('-0', 0, 2), -0));
  });

  it('Prometheus: the byte fast path decodes matrices exactly like JSON.parse, and steps aside otherwise (property)', () => {
    const sample = fc.tuple(fc.integer({ min: 1_600_000_000, max: 1_800_000_000 }), fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }).map(String), fc.constantFrom('NaN', '+Inf', '-Inf', '1e-3', '0')));
    const item = fc.record({ metric: fc.dictionary(fc.constantFrom('__name__', 'job', 'a"b', 'é'), fc.string({ maxLength: 6 }), { maxKeys: 3 }), values: fc.array(sample, { maxLength: 30 }) });
    const answer = fc.record({ items: fc.array(item, { maxLength: 4 }), warnings: fc.option(fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 })), pretty: fc.boolean() });
    const enc = new TextEncoder();
    fc.assert(
      fc.property(answer, ({ items, warnings, pretty }) => {
        const body = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: items }, ...(warnings ? { warnings } : {}) }, null, pretty ? 1 : 0);
        const slow = decodePrometheusQuery(body, 'q');
        const fast = decodePrometheusQuery(enc.encode(body), 'q');
        assert.deepEqual(fast, slow);
      }),
      { numRuns: 300 },
    );
    const base = enc.encode(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { a: '1' }, values: [[1, '2'], [3, 'NaN']] }] }, warnings: ['w'] }));
    assert.ok(decodeMatrixFast(base, 'q'), 'a typical answer takes the fast path');
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), (at, byte) => {
        const mutated = base.slice();
        mutated[at] = byte;
        let slow: unknown;
        try {
          slow = decodePrometheusQuery(new TextDecoder().decode(mutated), 'q');
        } catch {
          slow = 'error';
        }
        const fast = decodeMatrixFast(mutated, 'q');
        if (fast !== undefined) {
          assert.notEqual(slow, 'error', 'the fast path accepted what JSON.parse refuses');
          assert.deepEqual(fast.series, (slow as { result: { series: unknown } }).result.series);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('Prometheus: vector results (instant queries) become one-point series', () => {
    const body = '{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"x"},"value":[5,"2"]}]}}';
    const { result } = decodePrometheusQuery(body, 'q');
    assert.deepEqual([...result.series[0]!.times], [5]);
  });

  it('Dynatrace: ms timestamps, null as gap, dimensionMap as labels, nextPageKey, error envelope', () => {
    const page = decodeDynatraceMetrics(
      JSON.stringify({
        totalCount: 3,
        nextPageKey: 'abc',
        resolution: '1m',
        result: [{ metricId: 'builtin:service.response.time', warnings: ['partial'], data: [{ dimensions: ['S-1'], dimensionMap: { 'dt.entity.service': 'S-1' }, timestamps: [60_000, 120_000], values: [1.5, null] }] }],
      }),
    );
    assert.equal(page.nextPageKey, 'abc');
    assert.equal(page.series[0]!.name, 'builtin:service.response.time');
    assert.deepEqual(page.series[0]!.labels, { 'dt.entity.service': 'S-1' });
    assert.deepEqual([...page.series[0]!.times], [60, 120]);
    assert.ok(Number.isNaN(page.series[0]!.values[1]!));
    assert.deepEqual(page.warnings, ['Dynatrace (builtin:service.response.time): partial']);
    assert.throws(() => decodeDynatraceMetrics('{"result":[{"metricId":"m","data":[{"timestamps":[1],"values":[]}]}]}'), /1 timestamps but 0 values/);
    assert.equal(
      dynatraceErrorMessage('{"error":{"code":400,"message":"Constraints violated.","constraintViolations":[{"path":"metricSelector","message":"must not be empty","parameterLocation":"QUERY"}]}}'),
      'Constraints violated. (metricSelector: must not be empty)',
    );
    assert.equal(dynatraceResolution(15), '1m');
    assert.equal(dynatraceResolution(300), '5m');
    assert.equal(dynatraceResolution(7200), '2h');
    assert.equal(dynatraceResolution(86_400), '1d');
  });

  it('Datadog: pointlists in ms with nulls, tag_set as labels, errors list', () => {
    const { result } = decodeDatadogQuery(
      JSON.stringify({ status: 'ok', res_type: 'time_series', series: [{ metric: 'latency', tag_set: ['host:a', 'service:checkout'], scope: 'host:a,service:checkout', pointlist: [[1000.0, 0.5], [21000.0, null]] }] }),
    );
    assert.deepEqual(result.series[0]!.labels, { host: 'a', service: 'checkout' });
    assert.deepEqual([...result.series[0]!.times], [1, 21]);
    assert.ok(Number.isNaN(result.series[0]!.values[1]!));
    assert.throws(() => decodeDatadogQuery('{"status":"error","error":"Error parsing query"}'), isKind('invalidInput'));
    assert.equal(datadogErrorMessage('{"errors":["Forbidden"]}'), 'Forbidden');
  });

  it('Splunk: streamed JSON lines, previews replaced by final rows, by-field as label, messages', () => {
    const lines = [
      { preview: true, offset: 0, result: { _time: '2024-05-01T12:00:00.000+00:00', checkout: '1', _span: '60' } },
      { preview: false, offset: 0, result: { _time: '2024-05-01T12:00:00.000+00:00', checkout: '2', payments: '', _span: '60' } },
      { preview: false, offset: 1, lastrow: true, result: { _time: '2024-05-01T12:01:00.000+00:00', checkout: '3', payments: '4', _span: '60' } },
      { messages: [{ type: 'WARN', text: 'Search truncated' }] },
    ];
    const text = lines.map((l) => JSON.stringify(l)).join('\n');
    const decoder = new SplunkExportDecoder({ splitBy: 'service', name: 'latency' });
    for (let i = 0; i < text.length; i += 17) decoder.push(text.slice(i, i + 17));
    const { result, rows } = decoder.end();
    assert.equal(rows, 2);
    assert.equal(decoder.finished, true);
    assert.deepEqual(result.series.map((s) => [s.name, s.labels.service, [...s.times], [...s.values].map(String)]), [
      ['latency', 'checkout', [1714564800, 1714564860], ['2', '3']],
      ['latency', 'payments', [1714564800, 1714564860], ['NaN', '4']],
    ]);
    assert.deepEqual(result.warnings, ['Splunk: Search truncated']);
    const previewOnly = new SplunkExportDecoder();
    previewOnly.push(JSON.stringify(lines[0]));
    assert.match(previewOnly.end().result.partial![0]!.reason, /preview/);
    const failed = new SplunkExportDecoder();
    failed.push('{"messages":[{"type":"FATAL","text":"Unknown search command \'timechrt\'."}]}\n');
    assert.throws(() => failed.end(), /Splunk refused the search: Unknown search command/);
    assert.throws(() => new SplunkExportDecoder().push('{"result":\n'), isKind('server'));
    assert.equal(timechartSplitField('search index=web | timechart span=1m avg(latency) by service'), 'service');
    assert.equal(timechartSplitField('search index=web | timechart count'), undefined);
    assert.equal(splunkTime('1714564800.000'), 1714564800);
  });

  it('selectors: names, =, !=, =~, !~ (anchored, linear-time), with clear errors', () => {
    const s = parseSelector('app_build_info{service="checkout", env!~"dev|test", revision=~"[0-9a-f]+"}');
    assert.equal(s.metric, 'app_build_info');
    assert.equal(s.matches('app_build_info', { service: 'checkout', env: 'prod', revision: 'abc123' }), true);
    assert.equal(s.matches('app_build_info', { service: 'checkout', env: 'dev', revision: 'abc' }), false);
    assert.equal(s.matches('app_build_info', { service: 'checkout', env: 'prod', revision: 'xyz' }), false);
    assert.equal(s.matches('other', { service: 'checkout', revision: 'a' }), false);
    assert.equal(parseSelector('{__name__=~"app_.*",job="x"}').matches('app_up', { job: 'x' }), true);
    assert.equal(parseSelector("m{a='x'}").matches('m', { a: 'x' }), true);
    assert.throws(() => parseSelector('rate(m[5m])'), /column 5/);
    assert.throws(() => parseSelector('{a=~".*"}'), /matches every series/);
    assert.throws(() => parseSelector('m{a=~"("}'), /regular expression/);
    // A pathological pattern stays linear (a backtracking engine would take ages here).
    const evil = parseSelector('m{a=~"(a+)+b"}');
    const started = Date.now();
    assert.equal(evil.matches('m', { a: `${'a'.repeat(5000)}c` }), false);
    assert.ok(Date.now() - started < 1000);
  });

  it('decoders throw only OpsloopError on arbitrary bodies (fuzz)', () => {
    const decoders = [(b: string) => decodePrometheusQuery(b, 'q'), decodeDynatraceMetrics, decodeDatadogQuery, (b: string) => { const d = new SplunkExportDecoder(); d.push(b); d.end(); }];
    const bodies = fc.oneof(
      fc.string(),
      fc.json(),
      fc.constantFrom('{"status":"success","data":{"result":[{"values":[[1]]}]}}', '{"result":[{"data":[{"timestamps":null}]}]}', '{"series":[{"pointlist":[5]}]}', '{"status":"success"}'),
    );
    fc.assert(
      fc.property(bodies, (body) => {
        for (const decode of decoders) {
          try {
            decode(body);
          } catch (error) {
            assert.ok(error instanceof OpsloopError, `${String(error)} for ${body}`);
          }
        }
      }),
      { numRuns: 2000 },
    );
  });
});
