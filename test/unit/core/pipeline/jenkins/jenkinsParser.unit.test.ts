import * as assert from 'node:assert/strict';
import { tokenizeGroovy } from '../../../../../src/core/pipeline/jenkins/groovyTokens';
import { parseJenkinsfile } from '../../../../../src/core/pipeline/jenkins/jenkinsParser';
import { validatePipeline } from '../../../../../src/core/pipeline/validate';
import { describeDiagnostics, jobNamed, lineOf, readFixture, withCode } from '../github/support';

const parseFixture = (name: string) => {
  const text = readFixture('jenkins', name);
  return { text, pipeline: parseJenkinsfile({ file: 'Jenkinsfile', text }) };
};

describe('Groovy tokenizer', () => {
  const kinds = (source: string) => tokenizeGroovy(source).tokens.map((t) => `${t.kind}:${t.text}`);

  it('reads every string form and decodes escapes, keeping ${...} as written', () => {
    assert.deepEqual(kinds(`'a\\'b' "c\\"d \${x + "}"}" '''e\n'f''' """g\nh"""`), [
      "string:a'b",
      'string:c"d ${x + "}"}',
      "string:e\n'f",
      'string:g\nh',
      'eof:',
    ]);
  });

  it('skips comments and tells a slashy string from a division', () => {
    assert.deepEqual(kinds('a // c\n/* b */ x = /re.*/\ny = 4 / 2'), ['ident:a', 'ident:x', 'punct:=', 'string:re.*', 'ident:y', 'punct:=', 'number:4', 'punct:/', 'number:2', 'eof:']);
  });

  it('marks tokens that start a new line and reports unclosed strings and comments with their place', () => {
    const { tokens } = tokenizeGroovy("sh 'a'\nsh 'b'");
    assert.deepEqual(tokens.map((t) => t.newlineBefore), [true, false, true, false, true]);
    assert.deepEqual(tokens.map((t) => [t.line, t.column]).slice(0, 4), [[1, 1], [1, 4], [2, 1], [2, 4]]);
    assert.deepEqual(tokenizeGroovy("x\n  'open").problems, [{ message: "A string that starts with ' is never closed.", line: 2, column: 3 }]);
    assert.equal(tokenizeGroovy('/* never').problems.length, 1);
    assert.equal(tokenizeGroovy('"""never').problems.length, 1);
  });
});

describe('Jenkins declarative parser', () => {
  describe('a declarative pipeline', () => {
    const { text, pipeline } = parseFixture('declarative.Jenkinsfile');

    it('makes each top-level stage a plan stage and each stage with steps a job', () => {
      assert.deepEqual(
        pipeline.stages.map((s) => [s.name, s.jobs.map((id) => id.slice('Jenkinsfile#'.length))]),
        [
          ['Build', ['Build']],
          ['Test', ['unit', 'lint']],
          ['Matrix', ["mtest (OS = 'linux', NODE = '18')", "mtest (OS = 'linux', NODE = '20')", "mtest (OS = 'mac', NODE = '20')"]],
          ['Deploy', ['Deploy']],
        ],
      );
      assert.ok(pipeline.jobs.every((j) => j.needs === null), 'top-level stages run in order');
      assert.deepEqual(validatePipeline(pipeline), []);
      assert.equal(describeDiagnostics(pipeline.diagnostics), '');
    });

    it('reads sh steps in every string form, and other steps as not-shell steps', () => {
      const build = jobNamed(pipeline, 'Build');
      assert.deepEqual(build.steps.map((s) => [s.kind, s.shell, s.script ?? s.uses]), [
        ['script', 'sh', 'npm ci'],
        ['script', 'sh', '\n          echo "${env.BRANCH_NAME}"\n          make all\n        '],
        ['uses', undefined, 'echo'],
      ]);
      assert.equal(build.steps[0]!.range!.startLine, lineOf(text, "sh 'npm ci'"));
      assert.equal(build.source.startLine, lineOf(text, "stage('Build')"));
    });

    it('reads agent image, environment, options, when, post and input', () => {
      const build = jobNamed(pipeline, 'Build');
      assert.equal(build.image, 'node:20');
      assert.equal(build.timeoutSeconds, 1800);
      assert.equal(build.retry, 1);
      assert.deepEqual(build.variables, { CI: 'true', TOKEN: "credentials('tok')" });
      const lint = jobNamed(pipeline, 'lint');
      assert.equal(lint.condition, "branch 'main'");
      assert.equal(lint.steps[0]!.workingDirectory, 'sub');
      assert.deepEqual(lint.steps.map((s) => [s.phase, s.condition]), [
        ['main', undefined],
        ['after', 'post: always'],
      ]);
      assert.equal(jobNamed(pipeline, 'unit').steps[0]!.name, 'unit tests');
      assert.equal(jobNamed(pipeline, 'Deploy').when, 'manual');
    });

    it('expands a matrix minus its excludes, with the cell values', () => {
      const cells = pipeline.jobs.filter((j) => j.definition === 'Matrix / mtest');
      assert.deepEqual(cells.map((j) => j.matrix), [
        { OS: 'linux', NODE: '18' },
        { OS: 'linux', NODE: '20' },
        { OS: 'mac', NODE: '20' },
      ]);
      assert.equal(cells[2]!.variables.OS, 'mac');
    });
  });

  it('chains nested sequential stages inside parallel branches with needs', () => {
    const { pipeline } = parseFixture('nested.Jenkinsfile');
    assert.deepEqual(pipeline.jobs.map((j) => [j.stage, j.name, j.needs?.map((n) => n.job) ?? null]), [
      ['Prepare', 'Prepare', null],
      ['Checks', 'Lint', null],
      ['Checks', 'Start db', null],
      ['Checks', 'Run tests', ['Start db']],
      ['Publish', 'Publish', null],
    ]);
    assert.deepEqual(validatePipeline(pipeline), []);
    const prepare = jobNamed(pipeline, 'Prepare');
    assert.deepEqual(prepare.steps.map((s) => [s.kind, s.script ?? s.uses, s.env, s.timeoutSeconds]), [
      ['script', '\n          npm ci\n          npm run build\n        ', undefined, undefined],
      ['script', 'echo "mode is $MODE"', { MODE: 'ci', DEBUG: '0' }, undefined],
      ['script', 'npm run slow', undefined, 120],
      ['uses', 'script', undefined, undefined],
    ]);
    assert.equal(jobNamed(pipeline, 'Run tests').retry, 2);
    const publish = jobNamed(pipeline, 'Publish');
    assert.equal(publish.image, 'node:20');
    assert.equal(publish.steps[0]!.name, 'publish to the registry');
    assert.equal(publish.steps[0]!.script, 'npm publish');
  });

  it('reports a scripted pipeline as not analysed instead of guessing', () => {
    const { text, pipeline } = parseFixture('scripted.Jenkinsfile');
    assert.equal(pipeline.jobs.length, 0);
    const [d] = pipeline.diagnostics;
    assert.ok(d);
    assert.equal(d.code, 'jenkins-scripted');
    assert.equal(d.severity, 'warning');
    assert.equal(d.line, lineOf(text, "node('linux')"));
  });

  it('reports duplicate stage names, unknown directives, stages without steps and broken strings', () => {
    const { text, pipeline } = parseFixture('problems.Jenkinsfile');
    const all = [...pipeline.diagnostics, ...validatePipeline(pipeline)];
    assert.equal(withCode(all, 'unknown-key')[0]!.line, lineOf(text, 'stagez'));
    assert.deepEqual(withCode(all, 'duplicate-name').map((d) => d.line), [lineOf(text, "stage('Build')", "steps { sh 'make' }")]);
    assert.deepEqual(withCode(all, 'empty-job').map((d) => d.line).sort((a, b) => a - b), [lineOf(text, "stage('Nothing')"), lineOf(text, 'steps { }')]);
    const syntax = withCode(all, 'groovy-syntax');
    assert.ok(syntax.some((d) => d.line === lineOf(text, "sh 'unterminated")), describeDiagnostics(all));
    assert.ok(pipeline.jobs.length >= 2, 'the rest of the file is still read');
  });

  it('reports an unclosed file with the line of what is open, and keeps what it read', () => {
    const { text, pipeline } = parseFixture('unclosed.Jenkinsfile');
    const syntax = withCode(pipeline.diagnostics, 'groovy-syntax');
    assert.ok(syntax.some((d) => d.line === lineOf(text, 'sh """')), describeDiagnostics(pipeline.diagnostics));
    assert.ok(syntax.some((d) => d.message.includes("'pipeline'")), describeDiagnostics(pipeline.diagnostics));
    assert.equal(jobNamed(pipeline, 'Build').steps[0]!.script, '\n          make\n');
  });

  it('reports an empty file and a binary file', () => {
    assert.equal(parseJenkinsfile({ file: 'Jenkinsfile', text: '' }).diagnostics[0]!.code, 'jenkins-empty');
    assert.equal(parseJenkinsfile({ file: 'Jenkinsfile', text: 'pipeline {\u0000}' }).diagnostics[0]!.code, 'binary-file');
  });
});
