import * as assert from 'node:assert/strict';
import { deploymentBefore, mergeDeployments } from '../../../../src/core/incidents/deployments';
import type { Deployment } from '../../../../src/core/incidents/model';

const d = (revision: string, time: number, source: Deployment['source'], extra: Partial<Deployment> = {}): Deployment => ({ id: `${source}:${revision}:${time}`, environment: 'production', revision, time, source, ...extra });

describe('mergeDeployments', () => {
  it('keeps one deployment per revision and environment, at the earliest time a source saw it, oldest first', () => {
    const merged = mergeDeployments(
      [
        [d('b', 200, 'buildInfo'), d('a', 100, 'buildInfo')],
        [d('b', 190, 'gitTag'), d('a', 105, 'gitTag')],
        [d('b', 195, 'pipeline', { environment: 'staging' })],
      ],
      { start: 0, end: 1000 },
    );
    assert.deepEqual(merged.map((m) => [m.revision, m.environment, m.time, m.source]), [
      ['a', 'production', 100, 'buildInfo'],
      ['b', 'production', 190, 'gitTag'],
      ['b', 'staging', 195, 'pipeline'],
    ]);
  });

  it('keeps only the range and the service (deployments of no known service count for every service)', () => {
    const merged = mergeDeployments([[d('a', 50, 'pipeline'), d('b', 150, 'pipeline', { service: 'cart' }), d('c', 160, 'pipeline', { service: 'checkout' }), d('e', 170, 'gitTag')]], { start: 100, end: 200 }, 'checkout');
    assert.deepEqual(merged.map((m) => m.revision), ['c', 'e']);
  });
});

describe('deploymentBefore', () => {
  const list = [d('a', 100, 'gitTag'), d('b', 200, 'gitTag'), d('c', 400, 'gitTag')];
  it('is the latest deployment at or before the time, within the window', () => {
    assert.equal(deploymentBefore(list, 250, 100)?.revision, 'b');
    assert.equal(deploymentBefore(list, 200, 0)?.revision, 'b');
    assert.equal(deploymentBefore(list, 350, 100), undefined);
    assert.equal(deploymentBefore(list, 50, 1000), undefined);
  });
});
