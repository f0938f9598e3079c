import * as assert from 'assert';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OpsloopError } from '../../../../src/core/errors';
import { CsvWriter, readTimeValueCsv, type RowBatch } from '../../../../src/node/anomaly/csvStream';
import { loadNabCorpus } from '../../../../src/node/anomaly/nabCorpus';

async function collect(file: string, batchRows: number): Promise<RowBatch[]> {
  const out: RowBatch[] = [];
  for await (const b of readTimeValueCsv(file, { batchRows })) out.push({ ...b, times: Float64Array.from(b.times), values: Float64Array.from(b.values) });
  return out;
}

describe('anomaly CSV streams', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'opsloop-anomaly-'));
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('reads timestamp,value rows in bounded batches, with or without a header', async () => {
    const file = path.join(dir, 'a.csv');
    await fs.writeFile(file, 'value,timestamp\n1.5,2024-01-01 00:00:00\n,2024-01-01 00:05:00\nx,2024-01-01 00:10:00\r\n\n4,2024-01-01 00:15:00\n5,2024-01-01 00:20:00\n');
    const batches = await collect(file, 2);
    assert.deepStrictEqual(batches.map((b) => b.texts.length), [2, 2, 1]);
    assert.deepStrictEqual(batches[0]!.texts, ['2024-01-01 00:00:00', '2024-01-01 00:05:00']);
    assert.strictEqual(batches[0]!.times[0], 1704067200);
    assert.strictEqual(batches[0]!.values[0], 1.5);
    assert.ok(Number.isNaN(batches[0]!.values[1]!), 'an empty value is a gap');
    assert.ok(Number.isNaN(batches[1]!.values[0]!), 'a non-number is a gap');
    assert.strictEqual(batches[2]!.values[0], 5);
    assert.strictEqual(batches[1]!.firstLine, 4);

    const bare = path.join(dir, 'b.csv');
    await fs.writeFile(bare, '1704067200,7\n1704067260,8\n');
    const [only] = await collect(bare, 10);
    assert.deepStrictEqual(Array.from(only!.values), [7, 8]);
  });

  it('names the line of an unreadable timestamp, and a missing file', async () => {
    const file = path.join(dir, 'bad.csv');
    await fs.writeFile(file, 'timestamp,value\n2024-01-01 00:00:00,1\nnoon,2\n');
    await assert.rejects(collect(file, 10), (e: unknown) => OpsloopError.is(e, 'invalidInput') && /bad\.csv:3/.test((e as Error).message));
    await assert.rejects(collect(path.join(dir, 'missing.csv'), 10), (e: unknown) => OpsloopError.is(e, 'notFound'));
  });

  it('writes through a file with backpressure', async () => {
    const file = path.join(dir, 'out.csv');
    const w = CsvWriter.toFile(file);
    for (let i = 0; i < 2000; i++) await w.write(`${i},${'x'.repeat(100)}\n`);
    await w.close();
    const text = await fs.readFile(file, 'utf8');
    assert.strictEqual(text.split('\n').length, 2001);
  });

  it('loads a NAB-layout corpus with its windows', async () => {
    await fs.mkdir(path.join(dir, 'data', 'cat'), { recursive: true });
    await fs.mkdir(path.join(dir, 'labels'));
    await fs.writeFile(path.join(dir, 'data', 'cat', 's.csv'), 'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,2\n');
    await fs.writeFile(path.join(dir, 'labels', 'combined_windows.json'), JSON.stringify({ 'cat/s.csv': [['2014-01-01 00:05:00.000000', '2014-01-01 00:10:00.000000']] }));
    const [s] = await loadNabCorpus(dir);
    assert.strictEqual(s!.name, 'cat/s.csv');
    assert.strictEqual(s!.category, 'cat');
    assert.deepStrictEqual(Array.from(s!.values), [1, 2]);
    assert.deepStrictEqual(s!.windows, [[1388534700, 1388535000]]);
    await assert.rejects(loadNabCorpus(path.join(dir, 'nowhere')), (e: unknown) => OpsloopError.is(e, 'notFound'));
  });
});
