import * as assert from 'node:assert/strict';
import type { HttpSourceConfig } from '../../../../src/core/config/opsloopConfig';
import { OpsloopError } from '../../../../src/core/errors';
import { HttpClient } from '../../../../src/node/http/httpClient';
import { createTelemetrySource } from '../../../../src/node/telemetry/createSource';
import type { SourceCredentials, SourceDeps, TelemetrySource } from '../../../../src/node/telemetry/telemetrySource';
import { aggregate, latencySeries, requestEvents } from '../../../servers/dataset';
import { startDatadogServer } from '../../../servers/datadogServer';
import { startDynatraceServer } from '../../../servers/dynatraceServer';
import { startSplunkServer } from '../../../servers/splunkServer';
import type { TestServer } from '../../../servers/testServer';

const t0 = 1_714_521_600; // 2024-05-01T00:00:00Z
const hour = 3600;
const series = latencySeries(t0, 6 * hour, 20, ['checkout', 'payments', 'search'], 7, 'builtin:service.response.time');
const ddSeries = latencySeries(t0, 6 * hour, 20, ['checkout', 'payments'], 8, 'trace.http.request.duration');
const events = requestEvents(t0, 2 * hour, 10, ['checkout', 'payments']);

function make(config: HttpSourceConfig, credentials: SourceCredentials | undefined, http = new HttpClient({ sleep: async () => undefined })): TelemetrySource {
  const deps: SourceDeps = { http, credentials: async () => credentials, root: '/', allowOutsideRoot: false };
  return createTelemetrySource(config, deps);
}

async function failure(p: Promise<unknown>): Promise<OpsloopError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof OpsloopError, String(e));
    return e;
  }
  assert.fail('expected a failure');
}

describe('Dynatrace source against a local Metrics API v2', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startDynatraceServer({ series, tokens: ['dt0c01.good'], tokensWithoutScope: ['dt0c01.noscope'], pageSize: 2 });
  });
  after(() => server.close());
  const config = (): HttpSourceConfig => ({ name: 'dt', kind: 'dynatrace', url: server.url });

  it('reads every page and aggregates into slots whose timestamps end the slot', async () => {
    const s = make(config(), { token: 'dt0c01.good' });
    const r = await s.query('builtin:service.response.time', { start: t0, end: t0 + 2 * hour, step: 300 });
    assert.equal(server.seen.length, 2, 'three series at two per page: two pages');
    assert.deepEqual(new URL(server.seen[1]!.url, 'http://x').searchParams.toString().split('=')[0], 'nextPageKey');
    assert.equal(r.series.length, 3);
    const checkout = r.series.find((x) => x.labels.service === 'checkout')!;
    assert.equal(checkout.times.length, 24);
    const raw = series[0]!;
    for (let k = 0; k < checkout.times.length; k++) {
      const end = checkout.times[k]!;
      assert.equal(end, t0 + (k + 1) * 300);
      const inSlot = raw.times.map((t, i) => [t, raw.values[i]!] as const).filter(([t]) => t > end - 300 && t <= end).map(([, v]) => v);
      assert.ok(Math.abs(checkout.values[k]! - aggregate(inSlot, 'avg')) < 1e-12);
    }
    assert.equal(server.seen[0]!.headers.authorization, 'Api-Token dt0c01.good');
  });

  it('filters by dimension, says when the token is missing, wrong or lacks the scope', async () => {
    const r = await make(config(), { token: 'dt0c01.good' }).query('builtin:service.response.time:filter(eq("service","search"))', { start: t0, end: t0 + hour, step: 600 });
    assert.deepEqual(r.series.map((x) => x.labels.service), ['search']);
    const before = server.seen.length;
    const none = await failure(make(config(), undefined).query('builtin:service.response.time', { start: t0, end: t0 + hour }));
    assert.equal(none.kind, 'unauthorized');
    assert.equal(none.nextStep, 'Set Token');
    assert.equal(server.seen.length, before, 'no request without a token');
    const wrong = await failure(make(config(), { token: 'nope' }).query('builtin:service.response.time', { start: t0, end: t0 + hour }));
    assert.equal(wrong.kind, 'unauthorized');
    assert.match(wrong.message, /401 Unauthorized: Token Authentication failed/);
    const scope = await failure(make(config(), { token: 'dt0c01.noscope' }).query('builtin:service.response.time', { start: t0, end: t0 + hour }));
    assert.equal(scope.kind, 'forbidden');
    assert.match(scope.message, /missing required scope/);
    const unknown = await failure(make(config(), { token: 'dt0c01.good' }).query('builtin:nope', { start: t0, end: t0 + hour }));
    assert.equal(unknown.kind, 'notFound');
    assert.match(unknown.message, /The metric key 'builtin:nope' is not known/);
  });
});

describe('Splunk source against a local search/jobs/export', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startSplunkServer({ events, tokens: ['splunk-token'], sessionKeys: ['session-1'] });
  });
  after(() => server.close());
  const config = (extra: Partial<HttpSourceConfig> = {}): HttpSourceConfig => ({ name: 'splunk', kind: 'splunk', url: server.url, ...extra });

  it('streams a timechart by service into one series per service, previews replaced by final rows', async () => {
    const r = await make(config(), { token: 'splunk-token' }).query('index=web | timechart span=5m avg(latency) by service', { start: t0, end: t0 + hour });
    assert.deepEqual(r.series.map((x) => [x.name, x.labels]), [
      ['splunk', { service: 'checkout' }],
      ['splunk', { service: 'payments' }],
    ]);
    const checkout = r.series[0]!;
    assert.equal(checkout.times.length, 12);
    for (let k = 0; k < 12; k++) {
      const b = t0 + k * 300;
      const inBucket = events.filter((e) => e.fields.service === 'checkout' && e.time >= b && e.time < b + 300).map((e) => e.fields.latency as number);
      assert.equal(checkout.times[k], b);
      assert.equal(checkout.values[k], Math.round(aggregate(inBucket, 'avg') * 1e6) / 1e6);
    }
    const form = new URLSearchParams(server.seen[0]!.body);
    assert.equal(form.get('output_mode'), 'json');
    assert.equal(form.get('search'), 'search index=web | timechart span=5m avg(latency) by service');
    assert.equal(server.seen[0]!.headers.authorization, 'Bearer splunk-token');
  });

  it('counts errors with a filter, uses a session key with auth: splunk', async () => {
    const r = await make(config({ auth: 'splunk' }), { token: 'session-1' }).query('search index=web status=500 | timechart span=1h count', { start: t0, end: t0 + 2 * hour });
    assert.equal(r.series[0]!.name, 'count');
    assert.deepEqual([...r.series[0]!.values], [0, 1].map((k) => events.filter((e) => e.fields.status === 500 && e.time >= t0 + k * hour && e.time < t0 + (k + 1) * hour).length));
  });

  it('reads the events of a search as log records, oldest first', async () => {
    const source = make(config(), { token: 'splunk-token' });
    const r = await source.logs!({ start: t0, end: t0 + 60 }, undefined, 'index=web status=500');
    const expected = events.filter((e) => e.fields.status === 500 && e.time >= t0 && e.time < t0 + 60);
    assert.equal(r.records.length, expected.length);
    for (let i = 1; i < r.records.length; i++) assert.ok(r.records[i]!.time >= r.records[i - 1]!.time);
    const all = await source.logs!({ start: t0, end: t0 + 600 }, undefined, 'index=web service=checkout');
    assert.equal(all.records.length, events.filter((e) => e.fields.service === 'checkout' && e.time >= t0 && e.time < t0 + 600).length);
    assert.match(all.records[0]!.message, /^service=checkout latency=[\d.]+ status=\d+$/);
  });

  it('reports the parser\'s message for a bad search and 401 for a wrong token', async () => {
    const bad = await failure(make(config(), { token: 'splunk-token' }).query('index=web | timechrt count', { start: t0, end: t0 + hour }));
    assert.equal(bad.kind, 'invalidInput');
    assert.match(bad.message, /Unknown search command 'timechrt'/);
    const wrong = await failure(make(config(), { token: 'x' }).query('index=web | timechart span=1m count', { start: t0, end: t0 + hour }));
    assert.equal(wrong.kind, 'unauthorized');
    assert.match(wrong.message, /call not properly authenticated/);
  });
});

describe('Datadog source against a local /api/v1/query', function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await startDatadogServer({ series: ddSeries, apiKeys: ['api-1'], applicationKeys: ['app-1'] });
  });
  after(() => server.close());
  const config = (): HttpSourceConfig => ({ name: 'dd', kind: 'datadog', url: server.url });

  it('reads point lists in ms into series with tags as labels, one per group', async () => {
    const r = await make(config(), { token: 'api-1', applicationKey: 'app-1' }).query('avg:trace.http.request.duration{*} by {service}.rollup(avg, 600)', { start: t0, end: t0 + 2 * hour });
    assert.deepEqual(r.series.map((x) => x.labels), [{ service: 'checkout' }, { service: 'payments' }]);
    const raw = ddSeries[1]!;
    const payments = r.series[1]!;
    for (let k = 0; k < payments.times.length; k++) {
      const b = payments.times[k]!;
      const inBucket = raw.times.map((t, i) => [t, raw.values[i]!] as const).filter(([t]) => t >= b && t < b + 600 && t <= t0 + 2 * hour).map(([, v]) => v);
      assert.equal(payments.values[k], Math.round(aggregate(inBucket, 'avg') * 1e6) / 1e6);
    }
    assert.equal(payments.times.length, 13);
    assert.equal(server.seen[0]!.headers['dd-api-key'], 'api-1');
    assert.equal(server.seen[0]!.headers['dd-application-key'], 'app-1');
  });

  it('needs both keys; a wrong key is 403 Forbidden with the next step; a bad query is the server\'s message', async () => {
    const before = server.seen.length;
    const noApp = await failure(make(config(), { token: 'api-1' }).query('avg:x{*}', { start: t0, end: t0 + hour }));
    assert.match(noApp.message, /no application key is set/);
    assert.equal(server.seen.length, before);
    const wrong = await failure(make(config(), { token: 'api-1', applicationKey: 'bad' }).query('avg:x{*}', { start: t0, end: t0 + hour }));
    assert.equal(wrong.kind, 'forbidden');
    assert.equal(wrong.nextStep, 'Set Token');
    assert.match(wrong.message, /403 Forbidden: Forbidden/);
    const bad = await failure(make(config(), { token: 'api-1', applicationKey: 'app-1' }).query('avg:x{', { start: t0, end: t0 + hour }));
    assert.equal(bad.kind, 'invalidInput');
    assert.match(bad.message, /Error parsing query/);
  });

  it('waits as long as X-RateLimit-Reset says after a 429', async () => {
    const waits: number[] = [];
    let first = true;
    const limited = await (await import('../../../servers/testServer')).startServer((_req, res) => {
      if (first) {
        first = false;
        res.writeHead(429, { 'Content-Type': 'application/json', 'X-RateLimit-Reset': '7' });
        res.end('{"errors":["Too many requests"]}');
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"status":"ok","series":[]}');
    });
    try {
      const http = new HttpClient({ sleep: async (ms) => void waits.push(ms) });
      await make({ name: 'dd', kind: 'datadog', url: limited.url }, { token: 'a', applicationKey: 'b' }, http).query('avg:x{*}', { start: t0, end: t0 + hour });
      assert.ok(waits[0]! >= 7000, `waited ${waits[0]} ms`);
    } finally {
      await limited.close();
    }
  });
});
