import * as assert from 'assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Anomaly } from '../../../../src/core/anomaly/anomaly';
import { detectAnomalies, sensitivities, type Sensitivity } from '../../../../src/core/anomaly/detect';
import { parseOpsloopConfig } from '../../../../src/core/config/validateConfig';
import { parseOpenMetrics } from '../../../../src/core/telemetry/openMetrics';
import { parseSelector } from '../../../../src/core/telemetry/selector';
import type { Series } from '../../../../src/core/telemetry/series';
import { repoRoot } from '../../../support/paths';

/**
 * The demo's recorded production telemetry (six days of checkout metrics at 2-minute steps) as the
 * telemetry panel sees it: each configured query of demo/.opsloop.yml, named and with its unit.
 * What a person is meant to find there: the nightly backup's latency blip on 14 November at 03:10
 * and the regression the deployment of 18 November 14:00 brought to latency and errors. The rest
 * is noise and a daily rhythm.
 */
const demo = join(repoRoot, 'demo');
const { config, diagnostics } = parseOpsloopConfig(readFileSync(join(demo, '.opsloop.yml'), 'utf8'));
const recorded = parseOpenMetrics(readFileSync(join(demo, 'telemetry', 'checkout.om'), 'utf8'));

function querySeries(name: string): { series: Series; unit: string | undefined } {
  const query = config.queries.find((q) => q.name === name);
  assert.ok(query, `demo/.opsloop.yml has no query '${name}'`);
  const selector = parseSelector(query.query);
  const found = recorded.series.filter((s) => selector.matches(s.name, s.labels));
  assert.strictEqual(found.length, 1, `${query.query} matches ${found.length} series`);
  return { series: { ...found[0]!, name: query.name }, unit: query.unit };
}

function anomaliesOf(name: string, sensitivity: Sensitivity): Anomaly[] {
  const { series, unit } = querySeries(name);
  return detectAnomalies(series, { sensitivity, ...(unit !== undefined ? { unit } : {}) }).anomalies;
}

/** When the last revision of checkout_build_info starts: the deployment of 18 November. */
function lastDeployment(): number {
  const builds = recorded.series.filter((s) => s.name === 'checkout_build_info');
  return Math.max(...builds.map((s) => s.times[0]!));
}

const minute = 60;
const blipAt = Date.parse('2026-11-14T03:10:00Z') / 1000;

describe('anomaly detection on the demo telemetry (demo/telemetry/checkout.om)', () => {
  it('reads the demo configuration and recording', () => {
    assert.deepStrictEqual(
      diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    assert.strictEqual(lastDeployment(), Date.parse('2026-11-18T14:00:00Z') / 1000);
    assert.deepStrictEqual(
      config.queries.map((q) => [q.name, q.unit]),
      [
        ['p99 latency', 's'],
        ['error ratio', 'ratio'],
        ['requests', 'req/s'],
      ],
    );
  });

  it('at medium, flags the latency and error shifts right after the deployment, the backup blip, and nothing else', () => {
    const deployed = lastDeployment();
    const latency = anomaliesOf('p99 latency', 'medium');
    const errors = anomaliesOf('error ratio', 'medium');
    const requests = anomaliesOf('requests', 'medium');
    const describe = (list: Anomaly[]): string => list.map((a) => `${new Date(a.onset * 1000).toISOString()} ${a.explanation}`).join(' | ');

    assert.strictEqual(latency.length, 2, describe(latency));
    const [blip, regression] = latency as [Anomaly, Anomaly];
    assert.strictEqual(blip.kind, 'spike');
    assert.ok(blip.onset >= blipAt && blip.onset <= blipAt + 4 * minute, describe([blip]));
    assert.ok(blip.end !== undefined && blip.end <= blipAt + 20 * minute, 'the blip is over within minutes');
    assert.strictEqual(regression.kind, 'levelShift');
    assert.ok(regression.onset >= deployed && regression.onset <= deployed + 10 * minute, describe([regression]));
    assert.strictEqual(regression.end, undefined, 'the regression is still going on when the recording ends');
    assert.match(regression.explanation, /^p99 latency shifted to \d+ ms, \d+ MADs above its usual \d+ ms( for \d\d:\d\d)?, since 14:\d\d\.$/);

    assert.strictEqual(errors.length, 1, describe(errors));
    const [failing] = errors as [Anomaly];
    assert.strictEqual(failing.kind, 'levelShift');
    assert.ok(failing.onset >= deployed && failing.onset <= deployed + 10 * minute, describe(errors));
    assert.match(failing.explanation, /^error ratio shifted to [\d.]+ %, [\d.]+ MADs above its usual [\d.]+ %( for \d\d:\d\d)?, since 14:\d\d\.$/);

    assert.deepStrictEqual(requests, [], describe(requests));
    assert.ok([...latency, ...errors].every((a) => a.deviation > 7), 'nothing below its usual, nothing marginal');
  });

  it('flags no more at low and at least as much at high', () => {
    for (const name of ['p99 latency', 'error ratio', 'requests']) {
      const counts = sensitivities.map((s) => anomaliesOf(name, s).length);
      assert.ok(counts[0]! <= counts[1]! && counts[1]! <= counts[2]!, `${name}: low/medium/high ${counts.join('/')}`);
    }
    // Low still sees the regression on both series.
    const deployed = lastDeployment();
    for (const name of ['p99 latency', 'error ratio']) {
      assert.ok(anomaliesOf(name, 'low').some((a) => a.onset >= deployed && a.onset <= deployed + 10 * minute), name);
    }
  });
});
