import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { captureIO as io } from '../../support/cliIO';
import { main } from '../../../src/cli/main';

/** 6 days of 5-minute points with a daily rhythm and a spike on day 5. */
function csv(spikeAt: number | undefined): string {
  const lines = ['timestamp,value'];
  let s = 12345;
  for (let i = 0; i < 6 * 288; i++) {
    s = (s * 16807) % 2147483647;
    const t = new Date(Date.UTC(2024, 0, 1) + i * 300_000).toISOString().replace('T', ' ').slice(0, 19);
    const v = 100 + 20 * Math.sin((2 * Math.PI * i) / 288) + 4 * (s / 2147483647 - 0.5) + (i === spikeAt ? 80 : 0);
    lines.push(`${t},${v.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

describe('opsloop detect', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'opsloop-detect-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes timestamp,value,anomaly_score for every row and explains the spike (exit 1)', async () => {
    const spikeAt = 5 * 288 + 40;
    await fs.writeFile(path.join(dir, 'latency.csv'), csv(spikeAt));
    const out = io(dir);
    const code = await main(['detect', '--input', 'latency.csv', '--output', 'scored.csv', '--unit', 'ms'], out);
    assert.strictEqual(code, 1, out.err);
    const rows = (await fs.readFile(path.join(dir, 'scored.csv'), 'utf8')).trim().split('\n');
    assert.strictEqual(rows[0], 'timestamp,value,anomaly_score');
    assert.strictEqual(rows.length, 6 * 288 + 1);
    const spike = rows[spikeAt + 1]!.split(',');
    assert.ok(Number(spike[2]) >= 0.25, rows[spikeAt + 1]);
    for (const r of rows.slice(1)) assert.ok(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,[\d.]+,[\d.e-]+$/.test(r), r);
    assert.match(out.out, /1728 rows, \d+ anomal(y|ies) at medium sensitivity/);
    assert.match(out.out, /2024-01-06 03:20 {2}spike {6}latency \d+ ms, [\d.]+ MADs above/);
  });

  it('adds a label column from NAB labels and exits 0 when nothing is found', async () => {
    await fs.mkdir(path.join(dir, 'cat'));
    await fs.writeFile(path.join(dir, 'cat', 'calm.csv'), csv(undefined));
    await fs.writeFile(path.join(dir, 'labels.json'), JSON.stringify({ 'cat/calm.csv': [['2024-01-03 00:00:00.000000', '2024-01-03 00:10:00.000000']] }));
    const out = io(dir);
    const code = await main(['detect', '-i', 'cat/calm.csv', '-o', 'x.csv', '--labels', 'labels.json', '--sensitivity', 'low'], out);
    const rows = (await fs.readFile(path.join(dir, 'x.csv'), 'utf8')).trim().split('\n');
    assert.strictEqual(rows[0], 'timestamp,value,anomaly_score,label');
    assert.deepStrictEqual(rows.filter((r) => r.endsWith(',1')).map((r) => r.slice(0, 19)), ['2024-01-03 00:00:00', '2024-01-03 00:05:00', '2024-01-03 00:10:00']);
    assert.strictEqual(code, out.out.includes(' 0 anomalies') ? 0 : 1);
    assert.match(out.out, /at low sensitivity/);
  });

  it('streams the CSV to standard output and the summary to standard error without --output', async () => {
    await fs.writeFile(path.join(dir, 'a.csv'), csv(undefined));
    const out = io(dir);
    await main(['detect', '--input', 'a.csv'], out);
    assert.ok(out.out.startsWith('timestamp,value,anomaly_score\n'));
    assert.strictEqual(out.out.trim().split('\n').length, 6 * 288 + 1);
    assert.match(out.err, /1728 rows/);
  });

  it('refuses a bad command line with exit 2', async () => {
    const out = io(dir);
    assert.strictEqual(await main(['detect'], out), 2);
    assert.match(out.err, /Missing --input/);
    assert.strictEqual(await main(['detect', '--input', 'a.csv', '--sensitivity', 'max'], io(dir)), 2);
    const missing = io(dir);
    assert.strictEqual(await main(['detect', '--input', 'nope.csv', '--output', 'o.csv'], missing), 1);
    assert.match(missing.err, /Cannot read nope\.csv/);
    await assert.rejects(fs.access(path.join(dir, 'o.csv')), 'no output file for a missing input');
  });
});
