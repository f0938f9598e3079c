/**
 * `npm run bench:detect [-- --rows 2000000]`
 *
 * Writes a synthetic timestamp,value CSV of N rows to a temporary folder, runs `opsloop detect`
 * on it end to end (parse, score, group, write) and prints rows per second and the peak resident
 * memory, which stays flat however many rows the file has: the command streams. Prints figures,
 * asserts nothing.
 */
import { createWriteStream, promises as fs } from 'fs';
import { once } from 'events';
import * as os from 'os';
import * as path from 'path';
import { parseArgs } from '../src/cli/args';
import { main } from '../src/cli/main';

async function writeSeries(file: string, rows: number): Promise<void> {
  const out = createWriteStream(file);
  out.write('timestamp,value\n');
  let seed = 42;
  const start = Date.UTC(2024, 0, 1) / 1000;
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    seed = (seed * 16807) % 2147483647;
    const v = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 4 * (seed / 2147483647 - 0.5) + (i % 50_000 === 49_999 ? 80 : 0);
    chunk += `${start + i * 300},${v.toFixed(3)}\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

async function run(): Promise<void> {
  const { options } = parseArgs(process.argv.slice(2), { rows: { type: 'string' } });
  const rows = Number(options['rows'] ?? 2_000_000);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'opsloop-bench-detect-'));
  try {
    const input = path.join(dir, 'series.csv');
    await writeSeries(input, rows);
    const size = (await fs.stat(input)).size;
    let peak = process.memoryUsage().rss;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = process.hrtime.bigint();
    let summary = '';
    const code = await main(['detect', '--input', input, '--output', path.join(dir, 'scored.csv')], {
      cwd: dir,
      env: {},
      stdout: (t) => (summary += t),
      stderr: (t) => process.stderr.write(t),
      signal: new AbortController().signal,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    clearInterval(sampler);
    console.log(summary.split('\n')[0]);
    console.log(`exit ${code}; ${rows} rows (${(size / 2 ** 20).toFixed(0)} MiB) in ${seconds.toFixed(2)} s = ${(rows / seconds / 1e3).toFixed(0)}k rows/s end to end (parse, score, write)`);
    console.log(`peak resident memory ${(peak / 2 ** 20).toFixed(0)} MiB (the input alone would take ${((rows * 16) / 2 ** 20).toFixed(0)} MiB as two Float64Arrays)`);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

run().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
