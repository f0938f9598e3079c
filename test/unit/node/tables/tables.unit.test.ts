import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OpsloopError } from '../../../../src/core/errors';
import { parseOpenMetrics } from '../../../../src/core/telemetry/openMetrics';
import { compareWindows, summaryStatistics } from '../../../../src/core/telemetry/statistics';
import type { Series } from '../../../../src/core/telemetry/series';
import { loadTables, tablesLoadMs, type TablesModule } from '../../../../src/node/tables/tablesLoader';
import { repoRoot } from '../../../support/paths';

const s = (labels: Record<string, string>, times: number[], values: number[], name = 'lat'): Series => ({ name, labels, times: Float64Array.from(times), values: Float64Array.from(values) });

describe('table layer (danfojs-node, loaded lazily)', function () {
  this.timeout(60_000);
  let tables: TablesModule;
  before(async () => {
    tables = await loadTables();
  });

  it('loads on demand once and reports how long that took', async () => {
    assert.ok((tablesLoadMs() ?? 0) > 0);
    assert.equal(await loadTables(), tables);
    assert.match(tables.danfoVersion, /^\d+\.\d+\.\d+$/);
  });

  it('imports a CSV export with quotes and types, and a JSON export (records or columns)', () => {
    const csv = tables.importTable('time,service,"latency, s"\n1714564800,checkout,0.25\n1714564815,"pay,ments",\n', 'csv');
    assert.deepEqual(csv.columns, ['time', 'service', 'latency, s']);
    assert.deepEqual(csv.rows, [
      [1714564800, 'checkout', 0.25],
      [1714564815, 'pay,ments', null],
    ]);
    assert.equal(csv.dtypes[1], 'string');
    const records = tables.importTable(JSON.stringify([{ t: 1, v: 0.5 }, { t: 2, v: 0.75, extra: 'x' }]), 'json');
    assert.deepEqual(records.columns, ['t', 'v', 'extra']);
    assert.deepEqual(records.rows[1], [2, 0.75, 'x']);
    const columns = tables.importTable(JSON.stringify({ t: [1, 2], v: [3, 4] }), 'json');
    assert.deepEqual(columns.rows, [
      [1, 3],
      [2, 4],
    ]);
    assert.throws(() => tables.importTable('a,b\n1\n', 'csv'), (e: unknown) => OpsloopError.is(e, 'invalidInput') && /Row 2 .* 1 fields where the header has 2/.test(e.message));
    assert.throws(() => tables.importTable('{"a":1}', 'json'), /array of records/);
  });

  it('turns tables into series, long form by labels or wide form by numeric columns', () => {
    const long = tables.importTable('time,service,value\n2024-05-01T12:00:15Z,a,2\n2024-05-01T12:00:00Z,a,1\n1714564800,b,5\n', 'csv');
    const series = tables.tableToSeries(long, { time: 'time', value: 'value', labels: ['service'], name: 'lat' });
    assert.deepEqual(series.map((x) => [x.labels.service, [...x.times], [...x.values]]), [
      ['a', [1714564800, 1714564815], [1, 2]],
      ['b', [1714564800], [5]],
    ]);
    const wide = tables.tableToSeries(tables.importTable('t,a,b,note\n1,1.5,2,x\n2,2.5,,y\n', 'csv'), { time: 't' });
    assert.deepEqual(wide.map((x) => [x.name, [...x.values].map(String)]), [
      ['a', ['1.5', '2.5']],
      ['b', ['2', 'NaN']],
    ]);
    assert.throws(() => tables.tableToSeries(long, { time: 'when' }), /no column 'when'/);
  });

  it('groups series by a label with exact double arithmetic, NaN left out', () => {
    const input = [s({ service: 'a', pod: '1' }, [0, 15], [0.2134, 0.1]), s({ service: 'a', pod: '2' }, [0, 15], [0.1, NaN]), s({ service: 'b', pod: '1' }, [0], [1700000000.5])];
    const mean = tables.groupByLabel(input, 'service', 'mean');
    assert.deepEqual(mean.map((x) => [x.name, x.labels, [...x.times], [...x.values]]), [
      ['mean(lat)', { service: 'a' }, [0, 15], [(0.2134 + 0.1) / 2, 0.1]],
      ['mean(lat)', { service: 'b' }, [0], [1700000000.5]],
    ]);
    assert.deepEqual([...tables.groupByLabel(input, 'service', 'count')[0]!.values], [2, 1]);
    assert.deepEqual([...tables.groupByLabel(input, 'pod', 'max')[0]!.values], [1700000000.5, 0.1]);
  });

  it('aligns series on one time index, with gaps or filled', () => {
    const a = s({ k: 'a' }, [0, 10, 30], [1, 2, 4]);
    const b = s({ k: 'b' }, [10, 20], [5, 6]);
    const plain = tables.alignSeries([a, b]);
    assert.deepEqual([...plain.times], [0, 10, 20, 30]);
    assert.deepEqual([...plain.columns[0]!.values].map(String), ['1', '2', 'NaN', '4']);
    assert.deepEqual([...tables.alignSeries([a, b], { fill: 'previous' }).columns[1]!.values].map(String), ['NaN', '5', '6', '6']);
    assert.deepEqual([...tables.alignSeries([a, b], { fill: 'linear' }).columns[0]!.values], [1, 2, 3, 4]);
  });

  it('states the numbers of an incident report from the demo telemetry: before and after the regression', () => {
    const demo = parseOpenMetrics(readFileSync(join(repoRoot, 'demo', 'telemetry', 'checkout.om'), 'utf8'));
    const latency = demo.series.find((x) => x.name === 'checkout_latency_p99_seconds')!;
    const deploys = demo.series.filter((x) => x.name === 'checkout_build_info').map((x) => x.times[0]!).sort((p, q) => p - q);
    const at = deploys[deploys.length - 1]!;
    const [cmp] = compareWindows([latency], { from: at - 86_400, to: at - 1 }, { from: at, to: at + 86_400 });
    // Independently: plain means of the two windows.
    const mean = (from: number, to: number): number => {
      const v = [...latency.times].map((t, i) => [t, latency.values[i]!] as const).filter(([t]) => t >= from && t <= to).map(([, x]) => x);
      return v.reduce((p, q) => p + q, 0) / v.length;
    };
    assert.ok(Math.abs(cmp!.before.mean - mean(at - 86_400, at - 1)) < 1e-12);
    assert.ok(Math.abs(cmp!.after.mean - mean(at, at + 86_400)) < 1e-12);
    assert.ok(cmp!.meanChange > 0.1, `the demo's regression raises p99 latency (change ${cmp!.meanChange})`);
    const [row] = summaryStatistics([s({}, [0, 1, 2, 3, 4], [1, 2, NaN, Infinity, 3])]);
    assert.deepEqual({ ...row, labels: undefined }, { name: 'lat', labels: undefined, count: 3, missing: 1, infinite: 1, mean: 2, std: 1, min: 1, p50: 2, p90: 2.8, p99: 2.98, max: 3, first: 0, last: 4 });
  });
});
