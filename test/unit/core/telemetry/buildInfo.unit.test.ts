import * as assert from 'node:assert/strict';
import { deploymentsFromBuildInfo } from '../../../../src/core/telemetry/buildInfo';
import type { Series } from '../../../../src/core/telemetry/series';

/** A build_info series present (value 1) at the given times. */
function info(revision: string, times: number[], labels: Record<string, string> = { service: 'checkout' }): Series {
  return { name: 'app_build_info', labels: { ...labels, revision }, times: Float64Array.from(times), values: new Float64Array(times.length).fill(1) };
}
const every = (from: number, to: number, step = 15): number[] => {
  const out: number[] = [];
  for (let t = from; t <= to; t += step) out.push(t);
  return out;
};
const options = { environment: 'production', sourceId: 'prod' };

describe('build_info → deployments', () => {
  it('a new revision is a deployment at the time it first appears; the first one was already running', () => {
    const r = deploymentsFromBuildInfo([info('aaa', every(0, 600)), info('bbb', every(615, 1200))], options);
    assert.deepEqual(r.deployments, [{ id: 'prod:checkout:bbb:615', environment: 'production', service: 'checkout', revision: 'bbb', time: 615, source: 'buildInfo' }]);
    assert.deepEqual(r.initial, [{ service: 'checkout', environment: 'production', revision: 'aaa', since: 0 }]);
  });

  it('a rolling deploy (both revisions at once) deploys the new one once, when it first appears', () => {
    const old = [info('aaa', every(0, 700), { service: 'checkout', instance: 'a' }), info('aaa', every(0, 900), { service: 'checkout', instance: 'b' })];
    const fresh = [info('bbb', every(615, 1200), { service: 'checkout', instance: 'a' }), info('bbb', every(915, 1200), { service: 'checkout', instance: 'b' })];
    const r = deploymentsFromBuildInfo([...old, ...fresh], options);
    assert.deepEqual(r.deployments.map((d) => [d.revision, d.time]), [['bbb', 615]]);
  });

  it('a rollback to an earlier revision is a deployment again', () => {
    const r = deploymentsFromBuildInfo([info('aaa', [...every(0, 600), ...every(1200, 1500)]), info('bbb', every(615, 1185))], options);
    assert.deepEqual(r.deployments.map((d) => [d.revision, d.time]), [
      ['bbb', 615],
      ['aaa', 1200],
    ]);
  });

  it('a scrape gap is not a deployment, nor are instances scraped at different offsets', () => {
    const gap = deploymentsFromBuildInfo([info('aaa', [...every(0, 600), ...every(3600, 4000)])], options);
    assert.deepEqual(gap.deployments, []);
    const offsets = deploymentsFromBuildInfo(
      [
        info('aaa', every(0, 600), { service: 'checkout', instance: 'a' }),
        info('aaa', every(7, 607), { service: 'checkout', instance: 'b' }),
        info('bbb', every(615, 900), { service: 'checkout', instance: 'a' }),
        info('bbb', every(622, 907), { service: 'checkout', instance: 'b' }),
      ],
      options,
    );
    assert.deepEqual(offsets.deployments.map((d) => [d.revision, d.time]), [['bbb', 615]]);
  });

  it('services are separate timelines; zeros and NaN do not count as running', () => {
    const withZero: Series = { ...info('ccc', every(0, 300), { service: 'payments' }), values: Float64Array.from(every(0, 300), (t) => (t < 150 ? 0 : 1)) };
    const r = deploymentsFromBuildInfo([info('aaa', every(0, 300)), info('bbb', every(150, 300)), withZero], options);
    assert.deepEqual(r.deployments.map((d) => [d.service, d.revision, d.time]), [['checkout', 'bbb', 150]]);
    assert.deepEqual(r.initial.map((i) => [i.service, i.revision, i.since]), [
      ['checkout', 'aaa', 0],
      ['payments', 'ccc', 150],
    ]);
  });

  it('takes the environment from labels, another revision label, and warns about series without it', () => {
    const series: Series[] = [
      { name: 'x_build_info', labels: { env: 'staging', version: 'v1' }, times: Float64Array.from(every(0, 100)), values: new Float64Array(7).fill(1) },
      { name: 'x_build_info', labels: { env: 'staging', version: 'v2' }, times: Float64Array.from(every(150, 300)), values: new Float64Array(11).fill(1) },
      { name: 'x_build_info', labels: { env: 'staging' }, times: Float64Array.of(0), values: Float64Array.of(1) },
    ];
    const r = deploymentsFromBuildInfo(series, { ...options, revisionLabel: 'version', service: 'api' });
    assert.deepEqual(r.deployments.map((d) => [d.environment, d.service, d.revision, d.time]), [['staging', 'api', 'v2', 150]]);
    assert.match(r.warnings[0]!, /1 build-info series have no 'version' label/);
  });
});
