import * as assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../../src/cli/main';
import type { CliIO } from '../../../src/cli/cliCommand';
import { envName } from '../../../src/node/telemetry/envCredentials';
import { latencySeries } from '../../servers/dataset';
import { startDatadogServer } from '../../servers/datadogServer';
import { repoRoot } from '../../support/paths';
import { openMetricsLines, type PrometheusServer, startPrometheus } from '../../support/prometheus';

async function cli(args: string[], cwd: string, env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { cwd, env, stdout: (t) => (out += t), stderr: (t) => (err += t), signal: new AbortController().signal };
  const code = await main(args, io);
  return { code, out, err };
}

describe('opsloop query', function () {
  this.timeout(120_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsloop-cli-query-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the demo workspace\'s configured query from its file source, as text and as JSON', async () => {
    cpSync(join(repoRoot, 'demo'), dir, { recursive: true });
    const text = await cli(['query', '--query', 'p99 latency', '--from', '2026-11-18T12:00:00Z', '--to', '2026-11-18T16:00:00Z'], dir);
    assert.equal(text.code, 0, text.err);
    assert.match(text.out, /^checkout_latency_p99_seconds\{service="checkout"\}\n {2}\d+ points, 2026-11-18T12:\d\d:\d\dZ \.\. 2026-11-18T1[56]:\d\d:\d\dZ\n {2}min [\d.]+ {2}mean [\d.]+ {2}max [\d.]+ {2}last [\d.]+\n$/);
    const json = await cli(['query', '--source', 'recorded', '--query', 'checkout_error_ratio', '--from', '1794484800', '--to', '1794488400', '--json'], dir);
    assert.equal(json.code, 0, json.err);
    const parsed = JSON.parse(json.out);
    assert.equal(parsed.series.length, 1);
    assert.deepEqual(parsed.series[0].labels, { service: 'checkout' });
    assert.equal(parsed.series[0].name, 'checkout_error_ratio');
    assert.equal(parsed.series[0].times.length, parsed.series[0].values.length);
    assert.ok(parsed.series[0].times.every((t: number) => t >= 1794484800 && t <= 1794488400));
    assert.deepEqual(parsed.range, { start: 1794484800, end: 1794488400 });
  });

  it('reads from a real Prometheus, splitting 30 hours at 5 s into pieces, NaN and ±Inf in JSON', async () => {
    const t0 = 1_700_000_000;
    const n = (30 * 3600) / 5 + 1; // 21,601 points: two query_range requests
    const times = Array.from({ length: n }, (_, i) => t0 + i * 5);
    const values = times.map((_, i) => (i === 1 ? NaN : i === 2 ? Infinity : i === 3 ? -Infinity : i / 10));
    let prom: PrometheusServer | undefined;
    try {
      prom = await startPrometheus(`# TYPE m gauge\n${openMetricsLines('m', { job: 'x' }, times, values)}\n# EOF\n`);
      writeFileSync(join(dir, '.opsloop.yml'), `telemetry:\n  sources:\n    - { name: prod-eu, kind: prometheus, url: "${prom.url}" }\n`);
      const r = await cli(['query', '--source', 'prod-eu', '--query', 'm', '--from', String(t0), '--to', String(t0 + (n - 1) * 5), '--step', '5s', '--json'], dir);
      assert.equal(r.code, 0, r.err);
      const s = JSON.parse(r.out).series[0];
      assert.equal(s.times.length, n);
      assert.deepEqual(s.values.slice(0, 5), [0, null, '+Inf', '-Inf', 0.4]);
      assert.equal(s.values[n - 1], (n - 1) / 10);
      const bad = await cli(['query', '--source', 'prod-eu', '--query', 'sum(', '--from', '-1h'], dir);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /^opsloop query: Prometheus 'prod-eu' .* refused the request \(400\): bad_data: .*parse error/);
    } finally {
      await prom?.stop();
    }
  });

  it('takes tokens from the environment, pins them to an origin, and requires the pin in CI', async () => {
    const server = await startDatadogServer({ series: latencySeries(1_700_000_000, 3600, 20, ['a'], 1, 'lat'), apiKeys: ['k1'], applicationKeys: ['a1'] });
    try {
      writeFileSync(join(dir, '.opsloop.yml'), `telemetry:\n  sources:\n    - { name: dd.prod, kind: datadog, url: "${server.url}" }\n`);
      const args = ['query', '--source', 'dd.prod', '--query', 'avg:lat{*}', '--from', '1700000000', '--to', '1700003600'];
      assert.equal(envName('dd.prod'), 'DD_PROD');
      const missing = await cli(args, dir);
      assert.equal(missing.code, 1);
      assert.match(missing.err, /no token is set .* Set OPSLOOP_TOKEN_DD_PROD and OPSLOOP_APP_KEY_DD_PROD/);
      const env = { OPSLOOP_TOKEN_DD_PROD: 'k1', OPSLOOP_APP_KEY_DD_PROD: 'a1' };
      const ok = await cli(args, dir, env);
      assert.equal(ok.code, 0, ok.err);
      assert.match(ok.out, /^lat\{\}\n/);
      assert.match(ok.err, /sending the token in OPSLOOP_TOKEN_DD_PROD to http:\/\/127\.0\.0\.1:\d+ \(pin it with OPSLOOP_ORIGIN_DD_PROD=/);
      const ci = await cli(args, dir, { ...env, CI: 'true' });
      assert.equal(ci.code, 1);
      assert.match(ci.err, /In CI a token goes only to a pinned origin: set OPSLOOP_ORIGIN_DD_PROD=http:\/\/127\.0\.0\.1:\d+/);
      const pinned = await cli(args, dir, { ...env, CI: 'true', OPSLOOP_ORIGIN_DD_PROD: server.origin });
      assert.equal(pinned.code, 0, pinned.err);
      assert.equal(pinned.err, '');
      const elsewhere = await cli(args, dir, { ...env, OPSLOOP_ORIGIN_DD_PROD: 'https://api.datadoghq.com' });
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.err, /allows its token only for https:\/\/api\.datadoghq\.com; no token was sent/);
      assert.equal(server.seen.length, 2, 'only the two allowed runs reached the server; refused ones sent nothing');
    } finally {
      await server.close();
    }
  });

  it('says what is wrong with the command line', async () => {
    writeFileSync(join(dir, '.opsloop.yml'), 'telemetry:\n  sources:\n    - { name: f, kind: file, path: m.om }\n');
    writeFileSync(join(dir, 'm.om'), 'm 1 10\n# EOF\n');
    assert.match((await cli(['query', '--source', 'f'], dir)).err, /give a query with --query/);
    assert.match((await cli(['query', '--query', 'm'], dir)).err, /name the source with --source \(sources: f\)/);
    assert.match((await cli(['query', '--source', 'g', '--query', 'm'], dir)).err, /no source is named 'g'/);
    assert.match((await cli(['query', '--source', 'f', '--query', 'm', '--from', 'yesterday'], dir)).err, /'yesterday' is not a time/);
    assert.match((await cli(['query', '--source', 'f', '--query', 'm', '--from', '20', '--to', '10'], dir)).err, /must be after --from/);
    const empty = await cli(['query', '--source', 'f', '--query', 'm', '--from', '100', '--to', '200'], dir);
    assert.equal(empty.code, 0);
    assert.match(empty.out, /^No series matched between 1970-01-01T00:01:40Z and 1970-01-01T00:03:20Z\.\n$/);
    const noConfig = mkdtempSync(join(tmpdir(), 'opsloop-none-'));
    try {
      assert.match((await cli(['query', '--source', 'f', '--query', 'm'], noConfig)).err, /no \.opsloop\.yml in/);
    } finally {
      rmSync(noConfig, { recursive: true, force: true });
    }
  });
});
