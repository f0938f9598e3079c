/**
 * Fault injection across every HTTP source: the real Prometheus and the local Dynatrace,
 * Splunk and Datadog servers, each behind the fault injector. A seeded plan injects, request by
 * request, delays, resets, 429 storms with Retry-After, 5xx, cut-off bodies, malformed JSON,
 * bodies far over the cap, and at the data level NaN/±Inf/null values, out-of-order samples and
 * duplicate timestamps (a later duplicate with another value wins).
 *
 * Every query must end in one of: the exact answer (with the data-level changes the plan made),
 * a partial answer whose missing points all lie in its declared gaps, or a typed OpsloopError.
 * Anything else is a wrong result. The totals are printed and written to
 * artifacts/telemetry-faults.json.
 */
import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HttpSourceConfig } from '../../../../src/core/config/opsloopConfig';
import { OpsloopError } from '../../../../src/core/errors';
import { type SeriesResult, seriesKey } from '../../../../src/core/telemetry/series';
import { HttpClient } from '../../../../src/node/http/httpClient';
import { createTelemetrySource } from '../../../../src/node/telemetry/createSource';
import type { SourceCredentials, TelemetrySource, TimeRange } from '../../../../src/node/telemetry/telemetrySource';
import { latencySeries, requestEvents } from '../../../servers/dataset';
import { startDatadogServer } from '../../../servers/datadogServer';
import { startDynatraceServer } from '../../../servers/dynatraceServer';
import { type Fault, type FaultInjector, startFaultInjector } from '../../../servers/faultInjector';
import { startSplunkServer } from '../../../servers/splunkServer';
import { seededRandom, type TestServer } from '../../../servers/testServer';
import { openMetricsLines, type PrometheusServer, startPrometheus } from '../../../support/prometheus';
import { repoRoot } from '../../../support/paths';

type Change = { key: string; time: number; value: number };
/** Rewrites one API's JSON body; records the value changes a correct client must show. */
type Mutator = (body: string, kind: 'nan' | 'reorder' | 'duplicate', random: () => number, changes: Change[]) => string;

const labelsKey = (name: string, labels: Record<string, string>): string => seriesKey({ name, labels });

const prometheusMutator: Mutator = (body, kind, random, changes) => {
  const o = JSON.parse(body);
  for (const r of o.data.result as { metric: Record<string, string>; values: [number, string][] }[]) {
    const { __name__: name, ...labels } = r.metric;
    const key = labelsKey(name ?? 'q', labels);
    if (r.values.length === 0) continue;
    if (kind === 'reorder') r.values.reverse();
    else if (kind === 'duplicate') {
      const i = Math.floor(random() * r.values.length);
      const [t, v] = r.values[i]!;
      const replaced = String(Number(v) + 1);
      r.values.splice(i + 1, 0, [t, replaced]);
      changes.push({ key, time: t, value: Number(replaced) });
    } else {
      for (const special of ['NaN', '+Inf', '-Inf']) {
        const i = Math.floor(random() * r.values.length);
        r.values[i]![1] = special;
        changes.push({ key, time: r.values[i]![0], value: special === 'NaN' ? NaN : special === '+Inf' ? Infinity : -Infinity });
      }
    }
  }
  return JSON.stringify(o);
};

const dynatraceMutator: Mutator = (body, kind, random, changes) => {
  const o = JSON.parse(body);
  for (const c of o.result as { metricId: string; data: { dimensionMap: Record<string, string>; timestamps: number[]; values: (number | null)[] }[] }[]) {
    for (const d of c.data) {
      const key = labelsKey(c.metricId, d.dimensionMap);
      const n = d.timestamps.length;
      if (n === 0) continue;
      if (kind === 'reorder') {
        d.timestamps.reverse();
        d.values.reverse();
      } else if (kind === 'duplicate') {
        const i = Math.floor(random() * n);
        const v = (d.values[i] ?? 0) + 1;
        d.timestamps.splice(i + 1, 0, d.timestamps[i]!);
        d.values.splice(i + 1, 0, v);
        changes.push({ key, time: d.timestamps[i]! / 1000, value: v });
      } else {
        const i = Math.floor(random() * n);
        d.values[i] = null;
        changes.push({ key, time: d.timestamps[i]! / 1000, value: NaN });
      }
    }
  }
  return JSON.stringify(o);
};

const datadogMutator: Mutator = (body, kind, random, changes) => {
  const o = JSON.parse(body);
  for (const s of o.series as { metric: string; tag_set: string[]; pointlist: [number, number | null][] }[]) {
    const labels = Object.fromEntries(s.tag_set.map((t) => t.split(':') as [string, string]));
    const key = labelsKey(s.metric, labels);
    const n = s.pointlist.length;
    if (n === 0) continue;
    if (kind === 'reorder') s.pointlist.reverse();
    else if (kind === 'duplicate') {
      const i = Math.floor(random() * n);
      const [t, v] = s.pointlist[i]!;
      s.pointlist.splice(i + 1, 0, [t, (v ?? 0) + 1]);
      changes.push({ key, time: t / 1000, value: (v ?? 0) + 1 });
    } else {
      const i = Math.floor(random() * n);
      s.pointlist[i]![1] = null;
      changes.push({ key, time: s.pointlist[i]![0] / 1000, value: NaN });
    }
  }
  return JSON.stringify(o);
};

const splunkMutator = (splitBy: string, name: string): Mutator => (body, kind, random, changes) => {
  const lines = body.split('\n').filter((l) => l.trim() !== '');
  const finals = lines.filter((l) => JSON.parse(l).preview === false);
  const others = lines.filter((l) => JSON.parse(l).preview !== false);
  if (finals.length === 0) return body;
  if (kind === 'reorder') finals.reverse();
  else {
    const i = Math.floor(random() * finals.length);
    const row = JSON.parse(finals[i]!);
    const columns = Object.keys(row.result).filter((k) => !k.startsWith('_'));
    const column = columns[Math.floor(random() * columns.length)]!;
    const time = Date.parse(row.result._time) / 1000;
    const key = labelsKey(name, { [splitBy]: column });
    if (kind === 'duplicate') {
      const value = Number(row.result[column] || 0) + 1;
      row.result[column] = String(value);
      finals.splice(i + 1, 0, JSON.stringify(row)); // same offset, later line: it wins
      changes.push({ key, time, value });
    } else {
      row.result[column] = '';
      finals[i] = JSON.stringify(row);
      changes.push({ key, time, value: NaN });
    }
  }
  return `${[...others, ...finals].join('\n')}\n`;
};

interface Campaign {
  name: string;
  requests: number;
  faults: Record<string, number>;
  queries: number;
  exact: number;
  partial: number;
  errors: Record<string, number>;
  wrong: number;
  wrongDetails: string[];
}

/** The plan: which fault for each request, 429 storms spanning several requests. */
function planner(random: () => number, mutate: Mutator, changes: () => Change[]): (info: { index: number }) => Fault {
  let storm = 0;
  return () => {
    if (storm > 0) {
      storm--;
      return { kind: 'status', status: 429, retryAfter: '1', body: '{"errors":["Too many requests"]}' };
    }
    const p = random();
    if (p < 0.34) return { kind: 'pass' };
    if (p < 0.42) return { kind: 'delay', ms: Math.floor(random() * 300) };
    if (p < 0.5) return { kind: 'reset' };
    if (p < 0.56) {
      storm = Math.floor(random() * 4);
      return { kind: 'status', status: 429, retryAfter: '1', body: '{"errors":["Too many requests"]}' };
    }
    if (p < 0.63) return { kind: 'status', status: [500, 502, 503, 504][Math.floor(random() * 4)]! };
    if (p < 0.7) return { kind: 'truncate', fraction: random() };
    if (p < 0.75) return { kind: 'malformed' };
    if (p < 0.78) return { kind: 'oversize', bytes: 200 * 1024 * 1024 };
    const kind = p < 0.85 ? 'nan' : p < 0.92 ? 'reorder' : 'duplicate';
    return { kind: 'mutate', name: kind, transform: (body) => mutate(body, kind, random, changes()) };
  };
}

function expectedFrom(baseline: SeriesResult, changes: Change[]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const s of baseline.series) {
    const m = new Map<number, number>();
    for (let i = 0; i < s.times.length; i++) m.set(s.times[i]!, s.values[i]!);
    out.set(seriesKey(s), m);
  }
  for (const c of changes) out.get(c.key)?.set(c.time, c.value);
  return out;
}

/** Empty when the answer is right; otherwise what is wrong. */
function check(result: SeriesResult, expected: Map<string, Map<number, number>>): string[] {
  const problems: string[] = [];
  const gaps = result.partial ?? [];
  const inGap = (t: number): boolean => gaps.some((g) => (g.from === undefined || t >= g.from) && (g.to === undefined || t <= g.to));
  const got = new Map(result.series.map((s) => [seriesKey(s), s]));
  for (const [key, points] of expected) {
    const s = got.get(key);
    const have = new Map<number, number>();
    if (s) for (let i = 0; i < s.times.length; i++) have.set(s.times[i]!, s.values[i]!);
    for (const [t, v] of points) {
      if (!have.has(t)) {
        if (!inGap(t)) problems.push(`${key}@${t} missing outside any declared gap`);
      } else if (!Object.is(have.get(t), v) && !(Number.isNaN(have.get(t)!) && Number.isNaN(v))) problems.push(`${key}@${t}: ${have.get(t)} instead of ${v}`);
    }
    for (const t of have.keys()) if (!points.has(t)) problems.push(`${key}@${t}: a point that should not exist`);
  }
  for (const key of got.keys()) if (!expected.has(key)) problems.push(`unexpected series ${key}`);
  return problems.slice(0, 5);
}

async function campaign(
  name: string,
  upstream: string,
  make: (url: string, http: HttpClient) => TelemetrySource,
  queries: { q: string; range: TimeRange }[],
  mutate: Mutator,
  rounds: number,
  seed: number,
): Promise<Campaign> {
  const random = seededRandom(seed);
  let changes: Change[] = [];
  const injector: FaultInjector = await startFaultInjector(upstream);
  const http = new HttpClient({ timeoutMs: 3000, maxBytes: 16 * 1024 * 1024, sleep: async () => undefined, random });
  const source = make(injector.url, http);
  const result: Campaign = { name, requests: 0, faults: {}, queries: 0, exact: 0, partial: 0, errors: {}, wrong: 0, wrongDetails: [] };
  try {
    const baselines = [];
    for (const { q, range } of queries) baselines.push(await source.query(q, range));
    const cleanRequests = injector.requests;
    injector.setPlan(planner(random, mutate, () => changes));
    for (let round = 0; round < rounds; round++) {
      const k = round % queries.length;
      changes = [];
      result.queries++;
      let outcome: SeriesResult | unknown;
      try {
        outcome = await Promise.race([
          source.query(queries[k]!.q, queries[k]!.range),
          new Promise((_, reject) => setTimeout(() => reject(new Error('hung: no answer within 30 s')), 30_000)),
        ]);
      } catch (error) {
        outcome = error;
      }
      if (outcome instanceof Error) {
        if (OpsloopError.is(outcome) && ['network', 'server', 'timeout', 'tooLarge'].includes(outcome.kind)) {
          result.errors[outcome.kind] = (result.errors[outcome.kind] ?? 0) + 1;
        } else {
          result.wrong++;
          result.wrongDetails.push(`query ${round}: ${String(outcome)}`);
        }
        continue;
      }
      const r = outcome as SeriesResult;
      const problems = check(r, expectedFrom(baselines[k]!, changes));
      if (problems.length > 0) {
        result.wrong++;
        result.wrongDetails.push(`query ${round}: ${problems.join('; ')}`);
      } else if (r.partial && r.partial.length > 0) result.partial++;
      else result.exact++;
    }
    result.requests = injector.requests - cleanRequests;
    Object.assign(result.faults, injector.faults);
  } finally {
    await injector.close();
  }
  return result;
}

describe('fault injection in front of every HTTP source', function () {
  this.timeout(600_000);
  const t0 = 1_714_521_600;
  const hour = 3600;
  const results: Campaign[] = [];
  let prom: PrometheusServer | undefined;
  const servers: TestServer[] = [];

  after(async () => {
    await prom?.stop();
    await Promise.all(servers.map((s) => s.close()));
    if (results.length === 0) return;
    const total = results.reduce(
      (a, r) => ({ queries: a.queries + r.queries, requests: a.requests + r.requests, faults: a.faults + Object.values(r.faults).reduce((x, y) => x + y, 0), wrong: a.wrong + r.wrong }),
      { queries: 0, requests: 0, faults: 0, wrong: 0 },
    );
    mkdirSync(join(repoRoot, 'artifacts'), { recursive: true });
    writeFileSync(join(repoRoot, 'artifacts', 'telemetry-faults.json'), JSON.stringify({ total, campaigns: results }, null, 2));
    console.log(`\n      fault injection: ${total.queries} queries, ${total.requests} requests, ${total.faults} faults injected, ${total.wrong} wrong results`);
    for (const r of results) {
      console.log(`        ${r.name.padEnd(10)} queries ${r.queries}, requests ${r.requests}, faults ${JSON.stringify(r.faults)}, exact ${r.exact}, partial ${r.partial}, typed errors ${JSON.stringify(r.errors)}, wrong ${r.wrong}`);
    }
  });

  const creds = (c: SourceCredentials) => async () => c;
  const httpConfig = (kind: HttpSourceConfig['kind'], url: string, name: string = kind): HttpSourceConfig => ({ name, kind, url });
  const deps = (http: HttpClient, c?: SourceCredentials) => ({ http, credentials: creds(c ?? {}), root: '/', allowOutsideRoot: false, concurrency: 2 });

  it('Prometheus (real server): no wrong result', async () => {
    const step = 15;
    const n = 13_000; // two query_range pieces per query
    const times = Array.from({ length: n }, (_, i) => t0 + i * step);
    const om = ['# TYPE lat gauge', ...['checkout', 'payments'].map((service, k) => openMetricsLines('lat', { service }, times, times.map((_, i) => Math.round((0.2 + k * 0.1 + 0.01 * Math.sin(i / 30)) * 1e4) / 1e4))), '# EOF\n'].join('\n');
    prom = await startPrometheus(om);
    const r = await campaign(
      'prometheus',
      prom.url,
      (url, http) => createTelemetrySource(httpConfig('prometheus', url), deps(http)),
      [
        { q: 'lat', range: { start: t0, end: t0 + (n - 1) * step, step } },
        { q: 'lat{service="checkout"}', range: { start: t0, end: t0 + 6 * hour, step: 60 } },
      ],
      prometheusMutator,
      60,
      11,
    );
    results.push(r);
    assert.deepEqual(r.wrongDetails, []);
    assert.ok(Object.values(r.faults).reduce((a, b) => a + b, 0) > 20);
  });

  it('Dynatrace (local Metrics API v2, paginated): no wrong result', async () => {
    const server = await startDynatraceServer({ series: latencySeries(t0, 6 * hour, 60, ['a', 'b', 'c'], 3, 'builtin:service.response.time'), tokens: ['tok'], pageSize: 2 });
    servers.push(server);
    const r = await campaign(
      'dynatrace',
      server.url,
      (url, http) => createTelemetrySource(httpConfig('dynatrace', url), deps(http, { token: 'tok' })),
      [{ q: 'builtin:service.response.time', range: { start: t0, end: t0 + 6 * hour, step: 300 } }],
      dynatraceMutator,
      60,
      12,
    );
    results.push(r);
    assert.deepEqual(r.wrongDetails, []);
  });

  it('Splunk (local export stream): no wrong result', async () => {
    const server = await startSplunkServer({ events: requestEvents(t0, 2 * hour, 20, ['checkout', 'payments']), tokens: ['tok'], pauseMs: 0 });
    servers.push(server);
    const r = await campaign(
      'splunk',
      server.url,
      (url, http) => createTelemetrySource(httpConfig('splunk', url, 'sp'), deps(http, { token: 'tok' })),
      [{ q: 'index=web | timechart span=5m avg(latency) by service', range: { start: t0, end: t0 + 2 * hour } }],
      splunkMutator('service', 'sp'),
      60,
      13,
    );
    results.push(r);
    assert.deepEqual(r.wrongDetails, []);
  });

  it('Datadog (local /api/v1/query): no wrong result', async () => {
    const server = await startDatadogServer({ series: latencySeries(t0, 6 * hour, 20, ['checkout', 'payments'], 4, 'lat'), apiKeys: ['k'], applicationKeys: ['a'] });
    servers.push(server);
    const r = await campaign(
      'datadog',
      server.url,
      (url, http) => createTelemetrySource(httpConfig('datadog', url), deps(http, { token: 'k', applicationKey: 'a' })),
      [{ q: 'avg:lat{*} by {service}', range: { start: t0, end: t0 + 6 * hour } }],
      datadogMutator,
      60,
      14,
    );
    results.push(r);
    assert.deepEqual(r.wrongDetails, []);
  });
});
