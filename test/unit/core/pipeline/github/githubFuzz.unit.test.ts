import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import * as yaml from 'js-yaml';
import { parseGithubWorkflow } from '../../../../../src/core/pipeline/github/githubParser';
import { mutated, parseSafely, report } from './fuzzSupport';
import { fixtureReader, readFixture } from './support';

const file = '.github/workflows/ci.yml';
const keys = ['name', 'needs', 'runs-on', 'if', 'steps', 'env', 'defaults', 'environment', 'services', 'container', 'strategy', 'timeout-minutes', 'continue-on-error', 'uses', 'with', 'outputs', 'nedds'];
const scalar = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('${{ matrix.os }}', '${{ always() }}', 'failure()', '!cancelled()', "github.ref == 'x'", '${{ fromJSON(x) }}', 'success(', './.github/workflows/ci.yml', './.github/workflows/other.yml', 'actions/checkout@v4'),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, scalar, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(fc.constantFrom(...keys, 'include', 'exclude', 'matrix', 'run', 'os', 'node'), tie('value'), { maxKeys: 4 })),
})).value;
const jobName = fc.constantFrom('build', 'test', 'deploy', 'lint', 'a', 'b', 'call', '1bad');
const step = fc.dictionary(fc.constantFrom('run', 'uses', 'name', 'if', 'env', 'shell', 'working-directory', 'continue-on-error', 'timeout-minutes', 'with', 'id', 'runs'), scalar, { maxKeys: 4 });
const job = fc.record(
  {
    'runs-on': scalar,
    needs: fc.oneof(jobName, fc.array(jobName, { maxLength: 3 }), scalar),
    if: scalar,
    steps: fc.oneof(fc.array(step, { maxLength: 4 }), value),
    strategy: fc.oneof(
      fc.record({ matrix: fc.dictionary(fc.constantFrom('os', 'node', 'include', 'exclude'), fc.oneof(fc.array(scalar, { maxLength: 3 }), fc.array(fc.dictionary(fc.constantFrom('os', 'node', 'x'), scalar, { maxKeys: 3 }), { maxLength: 3 }), scalar)) }),
      value,
    ),
    uses: scalar,
    env: value,
    extra: value,
  },
  { requiredKeys: [] },
);
const workflow = fc.record({ name: scalar, on: fc.oneof(fc.constant('push'), fc.constant('workflow_call'), value), env: value, defaults: value, jobs: fc.oneof(fc.dictionary(jobName, job, { maxKeys: 5 }), value) }, { requiredKeys: [] });

describe('GitHub parser under fuzzing (fast-check)', function () {
  this.timeout(120_000);
  const times: number[] = [];
  after(() => report('github', times.length, times));

  it('parses thousands of generated workflows, with reusable workflows that call each other, without any other error than OpsloopError', () => {
    let withJobs = 0;
    const runs = 2000;
    fc.assert(
      fc.property(workflow, workflow, (main, other) => {
        const files: Record<string, string> = { [file]: yaml.dump(main, { noRefs: true }), '.github/workflows/other.yml': yaml.dump(other, { noRefs: true }) };
        const p = parseSafely(() => parseGithubWorkflow({ file, text: files[file]!, readFile: (path) => files[path] }), file, times);
        if (p && p.jobs.length > 0) withJobs++;
      }),
      { numRuns: runs },
    );
    // The generator must reach the job and step code, not only the "not a workflow" paths.
    assert.ok(withJobs > runs / 5, `only ${withJobs} of ${runs} generated workflows had jobs`);
  });

  it('parses thousands of mutated real workflows (broken YAML, half-typed keys, junk)', () => {
    const seeds = ['matrix.yml', 'conditions.yml', 'settings.yml', 'problems.yml'].map((n) => readFixture('github', 'workflows', n));
    const reusable = fixtureReader('github', 'reusable');
    seeds.push(reusable('.github/workflows/ci.yml')!, reusable('.github/workflows/build.yml')!);
    const tokens = ['\n', '  ', ': ', '- ', '&a ', '*a', '<<: *a', '${{ ', ' }}', '"', "'", '[', ']', '{', '}', '#', '\t', 'needs: [a, b]', 'matrix:', 'include:', 'exclude:', 'uses: ./.github/workflows/build.yml', 'if: always()', '? ', '!!binary ', '%YAML 1.2\n---\n', '---\n'];
    fc.assert(
      fc.property(mutated(seeds, tokens), (text) => {
        parseSafely(() => parseGithubWorkflow({ file, text, readFile: reusable }), file, times);
      }),
      { numRuns: 3000 },
    );
  });
});
