import * as assert from 'node:assert/strict';
import type { Anomaly } from '../../../../src/core/anomaly/anomaly';
import { assessDeployment, observedSeconds, type QueryEvidence } from '../../../../src/core/incidents/deployCheck';
import type { Deployment } from '../../../../src/core/incidents/model';

const deployment: Deployment = { id: 'd', environment: 'production', revision: 'abc', time: 10_000, source: 'gitTag' };
const anomaly = (onset: number): Anomaly => ({ seriesKey: 'k', kind: 'levelShift', onset, peak: onset, score: 0.9, method: 'm', baseline: 1, value: 5, deviation: 8, explanation: `shift at ${onset}` });
const evidence = (extra: Partial<QueryEvidence>): QueryEvidence => ({ name: 'latency', source: 'prod', anomalies: [], observedAfterSeconds: 3600, ...extra });

describe('assessDeployment', () => {
  it('is regressed when an anomaly begins after the deployment, within the window', () => {
    const a = assessDeployment(deployment, [evidence({ anomalies: [anomaly(9_000), anomaly(10_120)] })], 3600);
    assert.equal(a.verdict, 'regressed');
    assert.deepEqual(a.queries[0]!.anomalies.map((x) => x.onset), [10_120]);
  });

  it('is healthy when anomalies are only before the deployment or after the window', () => {
    const a = assessDeployment(deployment, [evidence({ anomalies: [anomaly(9_000), anomaly(20_000)] })], 3600);
    assert.equal(a.verdict, 'healthy');
  });

  it('never calls missing, partial or too little data healthy', () => {
    const failed = assessDeployment(deployment, [evidence({ failure: '401 Unauthorized' })], 3600);
    assert.equal(failed.verdict, 'unknown');
    assert.equal(failed.queries[0]!.reason, '401 Unauthorized');
    const partial = assessDeployment(deployment, [evidence({ partial: [{ reason: 'shard down', from: 10_500, to: 11_000 }] })], 3600);
    assert.equal(partial.verdict, 'unknown');
    assert.match(partial.queries[0]!.reason!, /shard down/);
    const early = assessDeployment(deployment, [evidence({ observedAfterSeconds: 600 })], 3600);
    assert.equal(early.verdict, 'unknown');
    assert.match(early.queries[0]!.reason!, /only 10 min of data/);
    assert.equal(assessDeployment(deployment, [], 3600).verdict, 'unknown', 'no query at all tells nothing');
  });

  it('is regressed overall if any query regressed, else unknown if any is unknown', () => {
    assert.equal(assessDeployment(deployment, [evidence({}), evidence({ failure: 'x' }), evidence({ anomalies: [anomaly(10_001)] })], 3600).verdict, 'regressed');
    assert.equal(assessDeployment(deployment, [evidence({}), evidence({ failure: 'x' })], 3600).verdict, 'unknown');
    assert.equal(assessDeployment(deployment, [evidence({}), evidence({})], 3600).verdict, 'healthy');
  });
});

describe('observedSeconds', () => {
  it('measures the span of finite samples in the range, counting one step for the last sample', () => {
    const times = Float64Array.from([0, 60, 120, 180, 240]);
    assert.equal(observedSeconds(times, Float64Array.from([1, 1, 1, 1, 1]), 60, 240), 240);
    assert.equal(observedSeconds(times, Float64Array.from([1, Number.NaN, 1, Number.NaN, Number.NaN]), 0, 240), 180);
    assert.equal(observedSeconds(times, Float64Array.from([1, 1, 1, 1, 1]), 500, 600), 0);
  });
});
