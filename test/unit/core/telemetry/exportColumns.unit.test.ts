import * as assert from 'node:assert/strict';
import { chooseExportColumns, timesInSeconds } from '../../../../src/core/telemetry/exportColumns';

describe('chooseExportColumns', () => {
  it('takes the time column by name, numeric columns as values and text columns as labels', () => {
    assert.deepEqual(chooseExportColumns(['host', 'Time', 'latency', 'errors', 'region'], ['string', 'string', 'float32', 'int32', 'string']), {
      time: 'Time',
      values: ['latency', 'errors'],
      labels: ['host', 'region'],
    });
  });

  it('falls back to the first column, and gives up without a value column', () => {
    assert.deepEqual(chooseExportColumns(['when', 'value'], ['int32', 'float32']), { time: 'when', values: ['value'], labels: [] });
    assert.equal(chooseExportColumns(['time', 'host'], ['int32', 'string']), undefined);
    assert.equal(chooseExportColumns(['time'], ['int32']), undefined);
  });
});

describe('timesInSeconds', () => {
  const series = (times: number[]) => ({ name: 'x', labels: {}, times: Float64Array.from(times), values: new Float64Array(times.length) });
  it('turns milliseconds and microseconds into seconds, and leaves seconds alone', () => {
    const seconds = 1_795_017_600;
    assert.deepEqual([...timesInSeconds(series([seconds, seconds + 60])).times], [seconds, seconds + 60]);
    assert.deepEqual([...timesInSeconds(series([seconds * 1e3, (seconds + 60) * 1e3])).times], [seconds, seconds + 60]);
    assert.deepEqual([...timesInSeconds(series([seconds * 1e6, (seconds + 60) * 1e6])).times], [seconds, seconds + 60]);
  });
});
