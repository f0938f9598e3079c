import * as assert from 'node:assert/strict';
import { fitLabel, graphMetrics, layoutPipelineGraph, nodeWidthFor } from '../../../../src/core/pipeline/graphLayout';
import type { Job, Need, Pipeline } from '../../../../src/core/pipeline/model';

const file = '.gitlab-ci.yml';
function job(name: string, stage: string, needs: string[] | null, extra: Partial<Job> = {}): Job {
  return {
    id: `${file}#${name}`,
    name,
    definition: extra.definition ?? name,
    stage,
    needs: needs === null ? null : needs.map((n): Need => ({ job: n, optional: false, artifacts: true })),
    matrix: null,
    when: 'on_success',
    allowFailure: false,
    retry: 0,
    variables: {},
    steps: [],
    source: { file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
    ...extra,
  };
}
function pipeline(jobs: Job[], stages: string[]): Pipeline {
  return { format: 'gitlab', file, name: 'demo', variables: {}, diagnostics: [], jobs, stages: stages.map((s) => ({ name: s, jobs: jobs.filter((j) => j.stage === s).map((j) => j.id) })) };
}

describe('layoutPipelineGraph', () => {
  const jobs = [
    job('build', 'build', null),
    job('lint', 'test', []),
    job('unit', 'test', ['build']),
    job('deploy', 'deploy', ['unit', 'lint'], { when: 'manual' }),
  ];
  const view = layoutPipelineGraph(pipeline(jobs, ['build', 'test', 'deploy', 'empty']), new Map([[`${file}#unit`, { status: 'failed', durationMs: 1200 }]]));

  it('draws one column per stage that has jobs, left to right in stage order', () => {
    assert.deepEqual(view.columns.map((c) => c.stage), ['build', 'test', 'deploy']);
    const xs = view.columns.map((c) => c.x);
    assert.ok(xs[0]! < xs[1]! && xs[1]! < xs[2]!);
    for (const node of view.nodes) assert.equal(node.x, view.columns.find((c) => c.stage === node.stage)!.x);
  });

  it('draws an edge per need, from the right side of the needed job to the left side of the job', () => {
    const edges = view.edges.map((e) => `${e.from.split('#')[1]}->${e.to.split('#')[1]}`).sort();
    assert.deepEqual(edges, ['build->unit', 'lint->deploy', 'unit->deploy']);
    const unit = view.nodes.find((n) => n.name === 'unit')!;
    const build = view.nodes.find((n) => n.name === 'build')!;
    const edge = view.edges.find((e) => e.to === unit.id)!;
    assert.ok(edge.path.startsWith(`M ${build.x + build.width} ${build.y + build.height / 2} `), edge.path);
    assert.ok(edge.path.endsWith(`${unit.x} ${unit.y + unit.height / 2}`), edge.path);
  });

  it('orders a column by the rows of the jobs it needs, so edges cross less', () => {
    const test = view.nodes.filter((n) => n.stage === 'test');
    // unit needs build (row 0); lint needs nothing: unit goes first although lint comes first in the file.
    assert.deepEqual(test.map((n) => n.name), ['unit', 'lint']);
    assert.ok(test[0]!.y < test[1]!.y);
  });

  it('carries each job\'s live state and nature, and is idle before any run', () => {
    const unit = view.nodes.find((n) => n.name === 'unit')!;
    assert.equal(unit.status, 'failed');
    assert.equal(unit.durationMs, 1200);
    assert.equal(view.nodes.find((n) => n.name === 'build')!.status, 'idle');
    assert.equal(view.nodes.find((n) => n.name === 'deploy')!.manual, true);
    assert.match(view.nodes.find((n) => n.name === 'deploy')!.detail, /needs: unit, lint/);
  });

  it('makes the drawing big enough for every node', () => {
    for (const n of view.nodes) {
      assert.ok(n.x + n.width <= view.width && n.y + n.height <= view.height, `${n.name} is outside the drawing`);
    }
  });

  it('connects needs on a matrix parent to every instance', () => {
    const instances = [job('test: [a]', 'test', null, { definition: 'test' }), job('test: [b]', 'test', null, { definition: 'test' })];
    const v = layoutPipelineGraph(pipeline([...instances, job('report', 'report', ['test'])], ['test', 'report']));
    assert.equal(v.edges.length, 2);
  });

  it('sizes boxes to the longest name within bounds, and shortens names in the middle', () => {
    assert.equal(nodeWidthFor(['a']), graphMetrics.minNodeWidth);
    assert.equal(nodeWidthFor(['x'.repeat(200)]), graphMetrics.maxNodeWidth);
    const long = 'integration tests (ubuntu-latest, node 20, postgres 16)';
    const fitted = fitLabel(long, 260);
    assert.ok(fitted.length < long.length && fitted.includes('…'));
    assert.ok(fitted.startsWith('integration') && fitted.endsWith('16)'), fitted);
    assert.equal(fitLabel('build', 200), 'build');
    const matrix = ['test (ubuntu-latest, 18)', 'test (ubuntu-latest, 20)'];
    for (const name of matrix) assert.equal(fitLabel(name, nodeWidthFor(matrix)), name, 'a box sized for its names shortens none of them');
  });
});
