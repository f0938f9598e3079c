/**
 * `npm run bench:telemetry [-- --days 30 --mb 100 --runs 5 --no-write]`
 *
 * 1. 30 days of a 15 s series (172,800 points) loaded into a real Prometheus with promtool,
 *    fetched through the Prometheus source (split into query_range pieces of at most 11,000
 *    points) and decoded: wall time of the whole query, and points per second of the decoding
 *    alone (the same bodies decoded again, best of `runs`).
 * 2. A 100 MB OpenMetrics file generated into a temp dir, read through the file source's
 *    streaming parser: MB/s and points/s, from disk to Float64Arrays.
 *
 * Prints figures and writes bench/results/telemetry.json; asserts nothing.
 */
import { createReadStream, mkdtempSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePrometheusQuery } from '../src/core/telemetry/prometheusApi';
import { OpenMetricsParser } from '../src/core/telemetry/openMetrics';
import { splitRange } from '../src/core/telemetry/time';
import { HttpClient } from '../src/node/http/httpClient';
import { FileSource } from '../src/node/telemetry/fileSource';
import { PrometheusSource } from '../src/node/telemetry/prometheusSource';
import { parseArgs } from '../src/cli/args';
import { startPrometheus } from '../test/support/prometheus';
import { repoRoot } from '../test/support/paths';

const args = parseArgs(process.argv.slice(2), { days: { type: 'string' }, mb: { type: 'string' }, runs: { type: 'string' }, 'no-write': { type: 'boolean' } });
const days = Number(args.options.days ?? 30);
const targetMb = Number(args.options.mb ?? 100);
const runs = Number(args.options.runs ?? 5);
const step = 15;

const seconds = (ns: bigint): number => Number(ns) / 1e9;
/** CPU seconds of this process since `since` (the machine is shared: wall time also counts waiting for a core). */
const cpuSince = (since: NodeJS.CpuUsage): number => {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1e6;
};
const fmt = (n: number): string => n.toLocaleString('en-US', { maximumFractionDigits: 0 });

async function prometheusBench(): Promise<Record<string, number>> {
  const points = (days * 86_400) / step;
  const t0 = 1_700_000_000 - (1_700_000_000 % 86_400);
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-bench-prom-'));
  const file = join(dir, 'series.om');
  const fd = openSync(file, 'w');
  writeSync(fd, '# TYPE app_latency_seconds gauge\n');
  let buffer = '';
  for (let i = 0; i < points; i++) {
    const v = Math.round((0.2 + 0.02 * Math.sin(i / 240) + 0.005 * Math.sin(i / 7)) * 1e4) / 1e4;
    buffer += `app_latency_seconds{service="checkout"} ${v} ${t0 + i * step}\n`;
    if (buffer.length > 1 << 20) {
      writeSync(fd, buffer);
      buffer = '';
    }
  }
  writeSync(fd, `${buffer}# EOF\n`);
  closeSync(fd);
  const prom = await startPrometheus({ file });
  try {
    const http = new HttpClient({ maxBytes: 256 * 1024 * 1024 });
    const source = new PrometheusSource({ name: 'bench', kind: 'prometheus', url: prom.url }, { http, credentials: async () => undefined, root: '/', allowOutsideRoot: false, concurrency: 2 });
    const range = { start: t0, end: t0 + (points - 1) * step, step };
    // Warm the server's caches and our JIT once, then time the whole query.
    await source.query('app_latency_seconds', range);
    const walls: number[] = [];
    let got = 0;
    for (let r = 0; r < runs; r++) {
      const started = process.hrtime.bigint();
      const result = await source.query('app_latency_seconds', range);
      walls.push(seconds(process.hrtime.bigint() - started));
      got = result.series[0]?.times.length ?? 0;
    }
    if (got !== points) throw new Error(`expected ${points} points, got ${got}`);
    // The bodies alone, to time the decoding without the network and the server.
    const chunks = splitRange(range.start, range.end, step);
    const bodies: Uint8Array[] = [];
    for (const c of chunks) {
      const r = await http.request({ what: 'bench', url: `${prom.url}/api/v1/query_range`, method: 'POST', idempotent: true, binary: true, form: { query: 'app_latency_seconds', start: c.start, end: c.end, step } });
      bodies.push(r.body!);
    }
    const bytes = bodies.reduce((a, b) => a + b.length, 0);
    const decodes: number[] = [];
    const decodeCpus: number[] = [];
    const texts = bodies.map((b) => Buffer.from(b).toString('utf8'));
    const generic: number[] = [];
    for (let r = 0; r < runs + 2; r++) {
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      let n = 0;
      for (const b of bodies) n += decodePrometheusQuery(b, 'q').samples;
      decodes.push(seconds(process.hrtime.bigint() - started));
      decodeCpus.push(cpuSince(cpu));
      if (n !== points) throw new Error(`decoded ${n} points`);
      const cpu2 = process.cpuUsage();
      for (const t of texts) decodePrometheusQuery(t, 'q');
      generic.push(cpuSince(cpu2));
    }
    const wall = Math.min(...walls);
    const decode = Math.min(...decodes);
    const decodeCpu = Math.min(...decodeCpus);
    console.log(`Prometheus: ${fmt(points)} points (${days} days at ${step} s) in ${chunks.length} query_range requests, ${(bytes / 1e6).toFixed(1)} MB of JSON`);
    console.log(`  promtool blocks ${prom.timings.blocksSeconds.toFixed(1)} s, server ready in ${prom.timings.startSeconds.toFixed(1)} s`);
    console.log(`  fetched and decoded: ${(wall * 1000).toFixed(0)} ms (best of ${runs}; median ${(median(walls) * 1000).toFixed(0)} ms) = ${fmt(points / wall)} points/s end to end`);
    console.log(`  decoding alone:      ${(decode * 1000).toFixed(1)} ms wall = ${fmt(points / decode)} points/s; ${(decodeCpu * 1000).toFixed(1)} ms CPU = ${fmt(points / decodeCpu)} points/s (${(bytes / 1e6 / decodeCpu).toFixed(0)} MB/s)`);
    console.log(`  (the general JSON.parse path on the same bodies: ${fmt(points / Math.min(...generic))} points/s CPU)`);
    return {
      points,
      requests: chunks.length,
      jsonBytes: bytes,
      wallSeconds: wall,
      wallMedianSeconds: median(walls),
      decodeSeconds: decode,
      decodeCpuSeconds: decodeCpu,
      decodePointsPerSecond: points / decode,
      decodePointsPerCpuSecond: points / decodeCpu,
      jsonParsePointsPerCpuSecond: points / Math.min(...generic),
      endToEndPointsPerSecond: points / wall,
    };
  } finally {
    await prom.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function fileBench(): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), 'opsloop-bench-om-'));
  const file = join(dir, 'big.om');
  const fd = openSync(file, 'w');
  const t0 = 1_700_000_000;
  const services = ['checkout', 'payments', 'search', 'cart', 'auth', 'catalog', 'shipping', 'inventory'];
  const metrics = ['http_request_duration_seconds', 'http_requests_total', 'process_resident_memory_bytes'];
  let written = 0;
  let buffer = '';
  for (const m of metrics) writeSync(fd, `# TYPE ${m} gauge\n`);
  for (let i = 0; written < targetMb * 1e6; i++) {
    for (const m of metrics) {
      for (const s of services) {
        buffer += `${m}{service="${s}",instance="${s}-1:8080"} ${(Math.round(Math.abs(Math.sin(i + s.length)) * 1e5) / 1e3).toString()} ${t0 + i * 15}\n`;
      }
    }
    if (buffer.length > 1 << 20) {
      written += Buffer.byteLength(buffer);
      writeSync(fd, buffer);
      buffer = '';
    }
  }
  writeSync(fd, `${buffer}# EOF\n`);
  closeSync(fd);
  const size = statSync(file).size;
  try {
    // The streaming parser over the file as it is read.
    const parses: number[] = [];
    const parseCpus: number[] = [];
    let parsed = 0;
    for (let r = 0; r < Math.max(2, Math.min(runs, 3)); r++) {
      const started = process.hrtime.bigint();
      const cpu = process.cpuUsage();
      const parser = new OpenMetricsParser();
      for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) parser.push(chunk as Buffer);
      const result = parser.end();
      parses.push(seconds(process.hrtime.bigint() - started));
      parseCpus.push(cpuSince(cpu));
      parsed = result.samples;
      if (result.issueCount !== 0) throw new Error(`${result.issueCount} issues`);
    }
    // And through the file source with a selector (what a query costs on a file this size).
    const source = new FileSource({ name: 'big', kind: 'file', path: 'big.om' }, { http: new HttpClient(), credentials: async () => undefined, root: dir, allowOutsideRoot: false });
    const started = process.hrtime.bigint();
    const one = await source.query('http_request_duration_seconds{service="checkout"}', { start: 0, end: 4e9 });
    const query = seconds(process.hrtime.bigint() - started);
    const parse = Math.min(...parses);
    const parseCpu = Math.min(...parseCpus);
    console.log(`OpenMetrics file: ${(size / 1e6).toFixed(0)} MB, ${fmt(parsed)} samples in ${services.length * metrics.length} series`);
    console.log(`  streaming parse from disk: ${(parse * 1000).toFixed(0)} ms wall = ${fmt(parsed / parse)} points/s (${(size / 1e6 / parse).toFixed(0)} MB/s); ${(parseCpu * 1000).toFixed(0)} ms CPU = ${fmt(parsed / parseCpu)} points/s, best of ${parses.length}`);
    console.log(`  file source query for one series: ${(query * 1000).toFixed(0)} ms (${fmt(one.series[0]!.times.length)} points kept)`);
    return { bytes: size, samples: parsed, parseSeconds: parse, parseCpuSeconds: parseCpu, parsePointsPerSecond: parsed / parse, parsePointsPerCpuSecond: parsed / parseCpu, parseMegabytesPerSecond: size / 1e6 / parse, oneSeriesQuerySeconds: query };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

async function main(): Promise<void> {
  const { loadavg, cpus } = await import('node:os');
  console.log(`Node ${process.version}, ${new Date().toISOString()}, ${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const prometheus = await prometheusBench();
  const file = await fileBench();
  if (!args.options['no-write']) {
    const out = join(repoRoot, 'bench', 'results', 'telemetry.json');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(repoRoot, 'bench', 'results'), { recursive: true });
    writeFileSync(out, JSON.stringify({ when: new Date().toISOString(), node: process.version, loadAverage: (await import('node:os')).loadavg(), prometheus, file }, null, 2));
    console.log(`wrote ${out}`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
