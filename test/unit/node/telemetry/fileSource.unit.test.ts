import * as assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FileSourceConfig } from '../../../../src/core/config/opsloopConfig';
import { parseOpsloopConfig } from '../../../../src/core/config/validateConfig';
import { OpsloopError } from '../../../../src/core/errors';
import { HttpClient } from '../../../../src/node/http/httpClient';
import { FileSource } from '../../../../src/node/telemetry/fileSource';
import type { SourceDeps } from '../../../../src/node/telemetry/telemetrySource';
import { repoRoot } from '../../../support/paths';

const demo = join(repoRoot, 'demo');
const deps = (root: string, allowOutsideRoot = false): SourceDeps => ({ http: new HttpClient(), credentials: async () => undefined, root, allowOutsideRoot });

/** An independent reading of the demo file: sample lines of one series key, as (time, value). */
function samplesOf(file: string, key: string): [number, number][] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${key} `))
    .map((l) => {
      const [, v, t] = l.split(' ');
      return [Number(t), Number(v)];
    });
}

describe('File source', function () {
  this.timeout(30_000);
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'opsloop-files-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('answers the demo workspace\'s configured queries from its OpenMetrics file', async () => {
    const { config } = parseOpsloopConfig(readFileSync(join(demo, '.opsloop.yml'), 'utf8'));
    const sourceConfig = config.sources.find((s) => s.kind === 'file') as FileSourceConfig;
    const source = new FileSource(sourceConfig, deps(demo));
    for (const q of config.queries) {
      const r = await source.query(q.query, { start: 0, end: 4e9 });
      assert.equal(r.partial, undefined, q.name);
      assert.equal(r.series.length, 1, q.name);
      const s = r.series[0]!;
      const expected = samplesOf(join(demo, sourceConfig.path), `${s.name}{service="checkout"}`);
      assert.ok(expected.length > 1000, `${q.name}: ${expected.length} samples in the file`);
      assert.deepEqual([...s.times], expected.map((e) => e[0]));
      assert.deepEqual([...s.values], expected.map((e) => e[1]));
    }
    const windowed = await source.query(config.queries[0]!.query, { start: 1794826800, end: 1794826800 + 3600 });
    assert.ok(windowed.series[0]!.times.every((t) => t >= 1794826800 && t <= 1794826800 + 3600));
  });

  it('finds the demo\'s deployments in its build_info series, and reads its logs', async () => {
    const { config } = parseOpsloopConfig(readFileSync(join(demo, '.opsloop.yml'), 'utf8'));
    const buildInfo = config.deployments.find((d) => d.kind === 'buildInfo')!;
    assert.equal(buildInfo.kind, 'buildInfo');
    const sourceConfig = config.sources.find((s) => s.name === (buildInfo as { source: string }).source) as FileSourceConfig;
    const source = new FileSource(sourceConfig, deps(demo));
    const r = await source.deployments({ query: (buildInfo as { query: string }).query, service: 'checkout' }, { start: 0, end: 4e9 });
    // Independently: each revision's first sample, except the one running from the start.
    const text = readFileSync(join(demo, sourceConfig.path), 'utf8');
    const firsts = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^checkout_build_info\{.*revision="([0-9a-f]+)".*\} 1 (\d+)$/.exec(line);
      if (m && !firsts.has(m[1]!)) firsts.set(m[1]!, Number(m[2]));
    }
    const expected = [...firsts.entries()].sort((a, b) => a[1] - b[1]).slice(1);
    assert.ok(expected.length >= 1);
    assert.deepEqual(r.deployments.map((d) => [d.revision, d.time, d.service, d.source]), expected.map(([rev, t]) => [rev, t, 'checkout', 'buildInfo']));
    const log = config.logs[0]!;
    const logs = await source.logs({ start: 0, end: 4e9 }, undefined, log.path);
    const lines = readFileSync(join(demo, log.path!), 'utf8').split('\n').filter((l) => l.trim() !== '');
    assert.equal(logs.records.length, lines.length);
    assert.equal(logs.partial, undefined);
  });

  it('reads CSV long form and JSON lines logs as series; bad lines make the answer partial', async () => {
    writeFileSync(join(dir, 'latency.csv'), 'timestamp,service,value\n100,checkout,0.5\n100,payments,0.7\n160,checkout,oops\n220,checkout,0.6\n');
    const csv = new FileSource({ name: 'csv', kind: 'file', path: 'latency.csv' }, deps(dir));
    const r = await csv.query('csv{service="checkout"}', { start: 0, end: 1000 });
    assert.deepEqual([...r.series[0]!.values], [0.5, 0.6]);
    assert.match(r.partial![0]!.reason, /1 line of latency\.csv could not be read \(line 4: 'oops' is not a number\)/);
    assert.deepEqual(await csv.labels({ label: 'service' }), ['checkout', 'payments']);

    writeFileSync(join(dir, 'app.jsonl'), ['{"time":0,"level":"error","latency_ms":10,"route":"/a"}', '{"time":30,"level":"info","latency_ms":20,"route":"/b"}', '{"time":70,"level":"error","latency_ms":30,"route":"/a"}', ''].join('\n'));
    const logs = new FileSource({ name: 'logs', kind: 'file', path: 'app.jsonl' }, deps(dir));
    const errors = await logs.query('log_lines{level="error"}', { start: 0, end: 119, step: 60 });
    assert.deepEqual([...errors.series[0]!.values], [1, 1]);
    const latency = await logs.query('latency_ms{route="/a"}', { start: 0, end: 119 });
    assert.deepEqual([...latency.series[0]!.values], [10, 30]);
  });

  it('re-reads a file when it changes and serves it from memory while it does not', async () => {
    const file = join(dir, 'm.om');
    writeFileSync(file, 'm 1 10\n# EOF\n');
    const source = new FileSource({ name: 'f', kind: 'file', path: 'm.om' }, deps(dir));
    assert.deepEqual([...(await source.query('m', { start: 0, end: 100 })).series[0]!.values], [1]);
    writeFileSync(file, 'm 2 10\nm 3 20\n# EOF\n');
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    assert.deepEqual([...(await source.query('m', { start: 0, end: 100 })).series[0]!.values], [2, 3]);
    writeFileSync(file, 'm 5 10\n');
    utimesSync(file, new Date(), new Date(Date.now() + 10_000));
    const cut = await source.query('m', { start: 0, end: 100 });
    assert.match(cut.warnings![0]!, /does not end with "# EOF"/);
  });

  it('stays inside the workspace unless it is trusted, also through a symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'opsloop-outside-'));
    try {
      writeFileSync(join(outside, 'secret.om'), 'm 1 1\n# EOF\n');
      mkdirSync(join(dir, 'telemetry'));
      symlinkSync(join(outside, 'secret.om'), join(dir, 'telemetry', 'link.om'));
      for (const path of [join(outside, 'secret.om'), '../x/secret.om', 'telemetry/link.om']) {
        const s = new FileSource({ name: 'f', kind: 'file', path }, deps(dir));
        const e = await s.query('m', { start: 0, end: 10 }).then(() => undefined, (x: unknown) => x);
        assert.ok(OpsloopError.is(e), `${path}: ${String(e)}`);
        assert.ok(e.kind === 'untrusted' || e.kind === 'notFound', `${path}: ${e.kind}`);
      }
      const trusted = new FileSource({ name: 'f', kind: 'file', path: 'telemetry/link.om' }, deps(dir, true));
      assert.equal((await trusted.query('m', { start: 0, end: 10 })).series.length, 1);
      const missing = await new FileSource({ name: 'f', kind: 'file', path: 'nope.om' }, deps(dir)).query('m', { start: 0, end: 1 }).then(() => undefined, (x: unknown) => x);
      assert.ok(OpsloopError.is(missing, 'notFound'));
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('stops reading when cancelled', async () => {
    const lines: string[] = [];
    for (let i = 0; i < 400_000; i++) lines.push(`m{k="${i % 7}"} ${i} ${i}`);
    writeFileSync(join(dir, 'big.om'), `${lines.join('\n')}\n# EOF\n`);
    const controller = new AbortController();
    const source = new FileSource({ name: 'f', kind: 'file', path: 'big.om' }, deps(dir));
    const pending = source.query('m', { start: 0, end: 1e9 }, controller.signal);
    controller.abort();
    const e = await pending.then(() => undefined, (x: unknown) => x);
    assert.ok(OpsloopError.is(e, 'cancelled'), String(e));
  });
});
