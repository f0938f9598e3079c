import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { parseJenkinsfile } from '../../../../../src/core/pipeline/jenkins/jenkinsParser';
import { mutated, parseSafely, report } from '../github/fuzzSupport';
import { readFixture } from '../github/support';

const file = 'Jenkinsfile';
const str = fc.oneof(
  fc.string({ maxLength: 8 }).map((s) => `'${s.replace(/['\\\n]/g, '')}'`),
  fc.string({ maxLength: 8 }).map((s) => `"${s.replace(/["\\\n]/g, '')}\${x}"`),
  fc.constantFrom("'''\n  make\n'''", '"""\n  a\n"""', "'unclosed", '"${"nested"}"', '/re.*/'),
);
const word = fc.constantFrom('sh', 'bat', 'echo', 'dir', 'withEnv', 'timeout', 'retry', 'script', 'junit', 'checkout', 'input', 'when', 'branch', 'environment', 'options', 'agent', 'any', 'docker', 'image', 'post', 'always', 'failure');

/** Declarative-looking Groovy: blocks, calls and commands nested a few levels. */
const statement: fc.Arbitrary<string> = fc.letrec((tie) => ({
  statement: fc.oneof(
    { depthSize: 'small' },
    fc.tuple(word, str).map(([w, s]) => `${w} ${s}`),
    fc.tuple(word, str).map(([w, s]) => `${w}(${s}, label: ${s})`),
    fc.tuple(fc.constantFrom('A', 'B_C', 'X'), str).map(([k, s]) => `${k} = ${s}`),
    fc.tuple(word, fc.array(tie('statement'), { maxLength: 3 })).map(([w, body]) => `${w} {\n${body.join('\n')}\n}`),
    fc.tuple(str, fc.array(tie('statement'), { maxLength: 3 })).map(([name, body]) => `stage(${name}) {\n${body.join('\n')}\n}`),
    fc.array(tie('statement'), { maxLength: 3 }).map((body) => `steps {\n${body.join('\n')}\n}`),
    fc.array(tie('statement'), { maxLength: 3 }).map((body) => `parallel {\n${body.join('\n')}\n}`),
    fc.array(tie('statement'), { maxLength: 3 }).map((body) => `stages {\n${body.join('\n')}\n}`),
    fc.tuple(fc.array(str, { minLength: 1, maxLength: 3 }), fc.array(tie('statement'), { maxLength: 2 })).map(
      ([values, body]) => `matrix {\naxes { axis { name 'OS'; values ${values.join(', ')} } }\nstages {\n${body.join('\n')}\n}\n}`,
    ),
  ),
})).statement;
/** A stage that runs steps (so that most documents reach the job code), with some random directives. */
const stageWithSteps = fc
  .tuple(str, fc.array(statement, { maxLength: 3 }), fc.array(statement, { maxLength: 2 }))
  .map(([name, steps, extra]) => `stage(${name}) {\n${extra.join('\n')}\nsteps {\nsh 'make'\n${steps.join('\n')}\n}\n}`);
const jenkinsfile = fc
  .array(fc.oneof({ arbitrary: stageWithSteps, weight: 3 }, { arbitrary: statement, weight: 1 }), { maxLength: 4 })
  .map((body) => `pipeline {\nagent any\nstages {\n${body.join('\n')}\n}\n}\n`);

describe('Jenkins parser under fuzzing (fast-check)', function () {
  this.timeout(120_000);
  const times: number[] = [];
  after(() => report('jenkins', times.length, times));

  it('parses thousands of generated declarative pipelines without any other error than OpsloopError', () => {
    let withJobs = 0;
    const runs = 2500;
    fc.assert(
      fc.property(jenkinsfile, (text) => {
        const p = parseSafely(() => parseJenkinsfile({ file, text }), file, times);
        if (p && p.jobs.length > 0) withJobs++;
      }),
      { numRuns: runs },
    );
    assert.ok(withJobs > runs / 10, `only ${withJobs} of ${runs} generated pipelines had jobs`);
  });

  it('parses thousands of mutated Jenkinsfiles and random text', () => {
    const seeds = ['declarative.Jenkinsfile', 'nested.Jenkinsfile', 'problems.Jenkinsfile', 'scripted.Jenkinsfile'].map((n) => readFixture('jenkins', n));
    const tokens = ['{', '}', '(', ')', '[', ']', "'", '"', "'''", '"""', '${', '/*', '*/', '//', '\\', '\n', 'stage(', 'steps {', 'parallel {', 'matrix {', 'sh ', '=', ':', ',', '$/', '/'];
    fc.assert(
      fc.property(fc.oneof(mutated(seeds, tokens), fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 })), (text) => {
        parseSafely(() => parseJenkinsfile({ file, text }), file, times);
      }),
      { numRuns: 3000 },
    );
  });
});
