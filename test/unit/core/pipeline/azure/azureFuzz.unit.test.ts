import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import * as yaml from 'js-yaml';
import { parseAzurePipeline } from '../../../../../src/core/pipeline/azure/azureParser';
import { mutated, parseSafely, report } from '../github/fuzzSupport';
import { fixtureReader } from '../github/support';

const file = 'azure-pipelines.yml';
const scalar = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom('succeeded()', 'failed()', "and(always(), eq(variables['x'], 'y'))", 'eq(', '${{ parameters.p }}', '${{ parameters.list }}', '$[ variables.m ]', 't1.yml', 't2.yml', 'x.yml@repo', '../out.yml', 'A', 'B', 'Build'),
);
const value: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, scalar, fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('script', 'job', 'stage', 'steps', 'jobs', 'template', 'parameters', 'name', 'default', 'dependsOn', 'condition', 'matrix', '${{ if eq(parameters.p, 1) }}', '${{ else }}', '${{ each x in parameters.list }}', 'x'), tie('value'), { maxKeys: 4 })),
})).value;
const step = fc.oneof(
  fc.record({ script: scalar, displayName: scalar, condition: scalar }, { requiredKeys: ['script'] }),
  fc.record({ bash: scalar, env: value }, { requiredKeys: ['bash'] }),
  fc.record({ task: scalar }),
  fc.record({ template: scalar, parameters: value }, { requiredKeys: ['template'] }),
  fc.record({ '${{ each x in parameters.list }}': fc.array(fc.record({ script: fc.constant('echo ${{ x }}') }), { maxLength: 2 }) }),
  value,
);
const job = fc.record(
  {
    job: scalar,
    dependsOn: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })),
    condition: scalar,
    strategy: fc.oneof(fc.record({ matrix: fc.dictionary(fc.constantFrom('linux', 'mac', 'bad-leg'), fc.oneof(fc.dictionary(fc.constantFrom('A', 'B'), scalar, { maxKeys: 2 }), scalar), { maxKeys: 3 }) }), value),
    steps: fc.oneof(fc.array(step, { maxLength: 4 }), value),
    template: scalar,
  },
  { requiredKeys: [] },
);
const stage = fc.record({ stage: scalar, dependsOn: fc.oneof(scalar, fc.array(scalar, { maxLength: 2 })), jobs: fc.oneof(fc.array(job, { maxLength: 3 }), value), template: scalar }, { requiredKeys: [] });
const pipeline = fc.record(
  {
    parameters: fc.oneof(fc.constant([{ name: 'p', default: 1 }, { name: 'list', type: 'object', default: ['a', 'b'] }]), value),
    variables: value,
    stages: fc.array(stage, { maxLength: 3 }),
    jobs: fc.array(job, { maxLength: 3 }),
    steps: fc.array(step, { maxLength: 3 }),
    extends: fc.oneof(fc.record({ template: scalar }), value),
  },
  { requiredKeys: [] },
);
const template = fc.record(
  { parameters: fc.oneof(fc.constant([{ name: 'p', default: 2 }, { name: 'list', type: 'object', default: ['c'] }]), value), steps: fc.array(step, { maxLength: 3 }), jobs: fc.array(job, { maxLength: 2 }), stages: fc.array(stage, { maxLength: 2 }) },
  { requiredKeys: [] },
);

describe('Azure parser under fuzzing (fast-check)', function () {
  this.timeout(120_000);
  const times: number[] = [];
  after(() => report('azure', times.length, times));

  it('parses thousands of generated pipelines with templates that include each other, without any other error than OpsloopError', () => {
    let withJobs = 0;
    const runs = 2000;
    fc.assert(
      fc.property(pipeline, template, template, (root, t1, t2) => {
        const files: Record<string, string> = { [file]: yaml.dump(root, { noRefs: true }), 't1.yml': yaml.dump(t1, { noRefs: true }), 't2.yml': yaml.dump(t2, { noRefs: true }) };
        const p = parseSafely(() => parseAzurePipeline({ file, text: files[file]!, readFile: (path) => files[path] }), file, times);
        if (p && p.jobs.length > 0) withJobs++;
      }),
      { numRuns: runs },
    );
    assert.ok(withJobs > runs / 5, `only ${withJobs} of ${runs} generated pipelines had jobs`);
  });

  it('parses thousands of mutated real pipelines and templates', () => {
    const stages = fixtureReader('azure', 'stages');
    const ext = fixtureReader('azure', 'extends');
    const seeds = [stages('azure-pipelines.yml')!, stages('templates/loop-steps.yml')!, stages('templates/jobs.yml')!, ext('azure-pipelines.yml')!, ext('templates/pipeline.yml')!, fixtureReader('azure', 'problems')('azure-pipelines.yml')!];
    const tokens = ['\n', '  ', ': ', '- ', '&a ', '*a', '${{ ', ' }}', '${{ if eq(1, 1) }}:', '${{ each s in parameters.tools }}:', '- template: templates/jobs.yml', '- template: azure-pipelines.yml', 'dependsOn: Build', '"', "'", '[', ']', '{', '}', '#', '\t'];
    fc.assert(
      fc.property(mutated(seeds, tokens), (text) => {
        parseSafely(() => parseAzurePipeline({ file, text, readFile: stages }), file, times);
      }),
      { numRuns: 3000 },
    );
  });
});
