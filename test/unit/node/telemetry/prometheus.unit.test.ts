import * as assert from 'node:assert/strict';
import type { HttpSourceConfig } from '../../../../src/core/config/opsloopConfig';
import { OpsloopError } from '../../../../src/core/errors';
import { HttpClient } from '../../../../src/node/http/httpClient';
import { PrometheusSource, startOfLastRun } from '../../../../src/node/telemetry/prometheusSource';
import type { SourceDeps } from '../../../../src/node/telemetry/telemetrySource';
import { startFaultInjector } from '../../../servers/faultInjector';
import { openMetricsLines, type PrometheusServer, startPrometheus } from '../../../support/prometheus';

/** Midnight UTC, 2023-11-14. */
const t0 = 1_699_920_000;
const day = 86_400;
const step = 15;
const points = (3 * day) / step; // 17,280: more than one query_range may return

function latency(i: number, offset: number): number {
  return Math.round((0.2 + offset + 0.02 * Math.sin(i / 40)) * 1e4) / 1e4;
}

function history(): string {
  const times = Array.from({ length: points }, (_, i) => t0 + i * step);
  const parts: string[] = ['# TYPE app_latency_seconds gauge'];
  parts.push(openMetricsLines('app_latency_seconds', { service: 'checkout', instance: 'a' }, times, times.map((_, i) => latency(i, 0))));
  parts.push(openMetricsLines('app_latency_seconds', { service: 'payments', instance: 'b' }, times, times.map((_, i) => latency(i, 0.1))));
  parts.push('# TYPE app_ratio gauge');
  parts.push(openMetricsLines('app_ratio', { service: 'checkout' }, times.slice(0, 8), [0.5, NaN, Infinity, -Infinity, 0.25, 0, 1, 0.125]));
  parts.push('# TYPE app_build_info gauge');
  // Revisions change off the 15 s grid: the deployment time must come out exact, not rounded to the step.
  const stint = (revision: string, from: number, to: number, service = 'checkout'): string => {
    const ts: number[] = [];
    for (let t = from; t < to; t += step) ts.push(t);
    return openMetricsLines('app_build_info', { service, revision }, ts, ts.map(() => 1));
  };
  parts.push(stint('aaa111', t0, t0 + day));
  parts.push(stint('bbb222', t0 + day + 7, t0 + 2 * day));
  parts.push(stint('ccc333', t0 + 2 * day + 22, t0 + 3 * day));
  parts.push(stint('ppp999', t0, t0 + 3 * day, 'payments'));
  parts.push('# EOF\n');
  return parts.join('\n');
}

const config: HttpSourceConfig = { name: 'prod', kind: 'prometheus', url: 'http://placeholder' };

describe('Prometheus source against a real Prometheus', function () {
  this.timeout(180_000);
  let prom: PrometheusServer;
  before(async () => {
    prom = await startPrometheus(history());
  });
  after(async () => {
    await prom?.stop();
  });

  const source = (url: string, http = new HttpClient(), extra: Partial<HttpSourceConfig> = {}): { source: PrometheusSource; http: HttpClient } => {
    const deps: SourceDeps = { http, credentials: async () => undefined, root: '/', allowOutsideRoot: false };
    return { source: new PrometheusSource({ ...config, url, ...extra }, deps), http };
  };

  it('splits 3 days at 15 s (17,280 points) into requests the server accepts and joins them exactly', async () => {
    const { source: s, http } = source(prom.url);
    const r = await s.query('app_latency_seconds', { start: t0, end: t0 + (points - 1) * step, step }, undefined);
    assert.equal(http.stats.requests, 2, 'two query_range requests of at most 11,000 points');
    assert.equal(r.partial, undefined);
    assert.equal(r.series.length, 2);
    for (const series of r.series) {
      const offset = series.labels.service === 'checkout' ? 0 : 0.1;
      assert.equal(series.name, 'app_latency_seconds');
      assert.equal(series.times.length, points);
      for (let i = 0; i < points; i++) {
        assert.equal(series.times[i], t0 + i * step);
        assert.equal(series.values[i], latency(i, offset), `${series.labels.service} point ${i}`);
      }
    }
  });

  it('the real server refuses more than 11,000 points; the source then halves the piece and still answers', async () => {
    const http = new HttpClient();
    const refused = await http
      .request({ what: 'raw', url: `${prom.url}/api/v1/query_range`, query: { query: 'app_latency_seconds', start: t0, end: t0 + (points - 1) * step, step } })
      .then(() => undefined, (e: unknown) => e);
    assert.ok(OpsloopError.is(refused, 'invalidInput'), String(refused));
    assert.match((refused as Error).message, /exceeded maximum resolution of 11,000 points per timeseries/);

    const { source: s, http: counted } = source(prom.url);
    s.maxPoints = 20_000; // as if the server allowed more
    const r = await s.query('app_latency_seconds{service="checkout"}', { start: t0, end: t0 + (points - 1) * step, step }, undefined);
    assert.equal(r.series[0]!.times.length, points);
    assert.equal(counted.stats.requests, 3, 'one refused request, then two halves');
  });

  it('chooses the step from the range when none is given', async () => {
    const { source: s } = source(prom.url);
    const six = await s.query('app_latency_seconds{service="checkout"}', { start: t0, end: t0 + 6 * 3600 }, undefined);
    assert.equal(six.series[0]!.times.length, 6 * 240 + 1);
    const all = await s.query('app_latency_seconds{service="checkout"}', { start: t0, end: t0 + 3 * day - step }, undefined);
    assert.equal(all.series[0]!.times[1]! - all.series[0]!.times[0]!, 30, '3 days / 11,000 points → 30 s');
  });

  it('reads NaN and ±Inf values as such', async () => {
    const { source: s } = source(prom.url);
    const r = await s.query('app_ratio', { start: t0, end: t0 + 7 * step, step }, undefined);
    assert.deepEqual([...r.series[0]!.values].map(String), ['0.5', 'NaN', 'Infinity', '-Infinity', '0.25', '0', '1', '0.125']);
  });

  it('says what is wrong with bad PromQL, with the server\'s own message', async () => {
    const { source: s, http } = source(prom.url);
    const error = await s.query('sum(rate(app_latency_seconds[5m]', { start: t0, end: t0 + 3600, step }, undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(OpsloopError.is(error, 'invalidInput'), String(error));
    assert.match((error as Error).message, /Prometheus 'prod' \(http:\/\/127\.0\.0\.1:\d+\) query_range: the server refused the request \(400\): bad_data: .*parse error/);
    assert.equal(http.stats.requests, 1, 'a bad query is not retried');
  });

  it('discovers label names and values for completion', async () => {
    const { source: s } = source(prom.url);
    const names = await s.labels({ range: { start: t0, end: t0 + 3 * day } });
    for (const n of ['__name__', 'instance', 'revision', 'service']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
    assert.deepEqual(await s.labels({ label: 'service', range: { start: t0, end: t0 + 3 * day } }), ['checkout', 'payments']);
    const metrics = await s.labels({ label: '__name__', range: { start: t0, end: t0 + 3 * day } });
    assert.deepEqual(metrics, ['app_build_info', 'app_latency_seconds', 'app_ratio']);
    assert.deepEqual(await s.labels({ label: 'revision', match: 'app_build_info{service="checkout"}', range: { start: t0, end: t0 + 3 * day } }), ['aaa111', 'bbb222', 'ccc333']);
  });

  it('finds deployments in build_info at the exact second the new revision first appears', async () => {
    const { source: s } = source(prom.url);
    const r = await s.deployments({ query: 'app_build_info{service="checkout"}' }, { start: t0, end: t0 + 3 * day }, undefined);
    assert.deepEqual(
      r.deployments.map((d) => [d.revision, d.time, d.service, d.environment, d.source]),
      [
        ['bbb222', t0 + day + 7, 'checkout', 'production', 'buildInfo'],
        ['ccc333', t0 + 2 * day + 22, 'checkout', 'production', 'buildInfo'],
      ],
    );
    const both = await s.deployments({ query: 'app_build_info', environment: 'prod-eu' }, { start: t0, end: t0 + 3 * day }, undefined);
    assert.deepEqual(both.deployments.map((d) => [d.service, d.revision, d.environment]), [
      ['checkout', 'bbb222', 'prod-eu'],
      ['checkout', 'ccc333', 'prod-eu'],
    ]);
  });

  it('shows a server warning as partial data for that piece of the range', async () => {
    const injector = await startFaultInjector(prom.url, (info) =>
      info.index === 0
        ? { kind: 'mutate', name: 'warning', transform: (b) => JSON.stringify({ ...JSON.parse(b), warnings: ['store 10.0.0.7:10901 did not answer: partial response'] }) }
        : { kind: 'pass' },
    );
    try {
      const { source: s } = source(injector.url);
      const r = await s.query('app_latency_seconds{service="checkout"}', { start: t0, end: t0 + (points - 1) * step, step }, undefined);
      assert.equal(r.partial?.length, 1);
      assert.match(r.partial![0]!.reason, /store 10\.0\.0\.7:10901 did not answer/);
      assert.equal(r.partial![0]!.from, t0);
      assert.equal(r.series[0]!.times.length, points, 'the data that came is kept');
    } finally {
      await injector.close();
    }
  });

  it('a piece that keeps failing becomes a gap; the rest is returned', async () => {
    const injector = await startFaultInjector(prom.url, (info) => (/start=1699920000/.test(info.body) ? { kind: 'status', status: 503, body: '{"status":"error","errorType":"unavailable","error":"overloaded"}' } : { kind: 'pass' }));
    try {
      const { source: s } = source(injector.url, new HttpClient({ sleep: async () => undefined }));
      const r = await s.query('app_latency_seconds{service="checkout"}', { start: t0, end: t0 + (points - 1) * step, step }, undefined);
      assert.equal(r.partial?.length, 1);
      assert.match(r.partial![0]!.reason, /503: unavailable: overloaded \(after 4 attempts\)/);
      assert.equal(r.partial![0]!.from, t0);
      assert.equal(r.partial![0]!.to, t0 + 10_999 * step);
      assert.equal(r.series[0]!.times.length, points - 11_000);
      assert.equal(r.series[0]!.times[0], t0 + 11_000 * step);
    } finally {
      await injector.close();
    }
  });

  it('sends the bearer token (or basic credentials) and extra headers to its own origin', async () => {
    const injector = await startFaultInjector(prom.url);
    const seen: string[] = [];
    injector.setPlan((info) => {
      seen.push(`${info.headers.authorization} ${info.headers['x-scope-orgid']}`);
      return { kind: 'pass' };
    });
    try {
      const deps: SourceDeps = { http: new HttpClient(), credentials: async () => ({ token: 'tok-1' }), root: '/', allowOutsideRoot: false };
      await new PrometheusSource({ ...config, url: injector.url, headers: { 'X-Scope-OrgID': 'team-a' } }, deps).query('up', { start: t0, end: t0 + 60, step }, undefined);
      await new PrometheusSource({ ...config, url: injector.url, auth: 'basic' }, { ...deps, credentials: async () => ({ token: 'user:pw' }) }).query('up', { start: t0, end: t0 + 60, step }, undefined);
      assert.deepEqual(seen, ['Bearer tok-1 team-a', `Basic ${Buffer.from('user:pw').toString('base64')} undefined`]);
    } finally {
      await injector.close();
    }
  });

  it('finds the start of the last unbroken run of samples', () => {
    assert.equal(startOfLastRun([100, 115, 130, 400, 415, 430]), 400);
    assert.equal(startOfLastRun([7, 22, 37]), 7);
    assert.equal(startOfLastRun([]), undefined);
  });
});
