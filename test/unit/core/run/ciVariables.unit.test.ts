import * as assert from 'node:assert/strict';
import { azureEnvName, expandValue, jobVariables, type RunContext, slug } from '../../../../src/core/run/ciVariables';
import { deploymentFor } from '../../../../src/core/run/deployments';
import { makePipeline } from './planBuilder';

const ctx: RunContext = { sha: 'a'.repeat(40), branch: 'feature/Login-Page', projectDir: '/w/proj', projectName: 'proj', runNumber: 42, jobNumber: 3, attempt: 1, tempDir: '/tmp/j' };

describe('CI variables', () => {
  it('sets GitLab predefined variables, then pipeline, job and matrix variables with expansion', () => {
    const p = makePipeline(
      [{ name: 'test 2/3', definition: 'test', stage: 'test', variables: { IMAGE: '$REGISTRY/app:$CI_COMMIT_SHORT_SHA', PRICE: '$$5' }, matrix: { NODE: '20' }, environment: { name: 'review/$CI_COMMIT_REF_SLUG' } }],
      { variables: { REGISTRY: 'reg.local', NODE: '18' } },
    );
    const env = jobVariables(p, p.jobs[0]!, ctx, { HOME: '/root' });
    assert.equal(env.CI, 'true');
    assert.equal(env.CI_COMMIT_SHA, ctx.sha);
    assert.equal(env.CI_COMMIT_SHORT_SHA, 'aaaaaaaa');
    assert.equal(env.CI_COMMIT_REF_NAME, 'feature/Login-Page');
    assert.equal(env.CI_COMMIT_REF_SLUG, 'feature-login-page');
    assert.equal(env.CI_JOB_NAME, 'test 2/3');
    assert.equal(env.CI_NODE_INDEX, '2');
    assert.equal(env.CI_NODE_TOTAL, '3');
    assert.equal(env.CI_PIPELINE_ID, '42');
    assert.equal(env.CI_PROJECT_DIR, '/w/proj');
    assert.equal(env.IMAGE, 'reg.local/app:aaaaaaaa');
    assert.equal(env.PRICE, '$5');
    assert.equal(env.NODE, '20', 'matrix values win over pipeline variables');
    assert.equal(env.CI_ENVIRONMENT_NAME, 'review/$CI_COMMIT_REF_SLUG');
  });

  it('sets GitHub, Azure and Jenkins predefined variables', () => {
    const gh = makePipeline([{ name: 'build' }], { format: 'github', variables: { A: '1' } });
    const g = jobVariables(gh, gh.jobs[0]!, ctx);
    assert.equal(g.GITHUB_SHA, ctx.sha);
    assert.equal(g.GITHUB_REF, 'refs/heads/feature/Login-Page');
    assert.equal(g.GITHUB_WORKSPACE, '/w/proj');
    assert.equal(g.GITHUB_RUN_ID, '42');
    assert.equal(g.RUNNER_TEMP, '/tmp/j');
    assert.equal(g.A, '1');
    const az = makePipeline([{ name: 'job' }], { format: 'azure', variables: { 'my.var': 'x' } });
    const a = jobVariables(az, az.jobs[0]!, ctx);
    assert.equal(a.BUILD_SOURCEVERSION, ctx.sha);
    assert.equal(a.BUILD_SOURCEBRANCHNAME, 'Login-Page');
    assert.equal(a.MY_VAR, 'x');
    assert.equal(a.TF_BUILD, 'True');
    const jk = makePipeline([{ name: 'Build', stage: 'Build' }], { format: 'jenkins' });
    const j = jobVariables(jk, jk.jobs[0]!, ctx);
    assert.equal(j.BUILD_NUMBER, '42');
    assert.equal(j.WORKSPACE, '/w/proj');
    assert.equal(j.GIT_COMMIT, ctx.sha);
    assert.equal(j.STAGE_NAME, 'Build');
  });

  it('expands like GitLab: braces, $$, unknown names to nothing', () => {
    const look = (n: string): string | undefined => ({ A: 'x', B: 'y' })[n];
    assert.equal(expandValue('$A-${B}-$C-$$A', look), 'x-y--$A');
    assert.equal(slug('Feature/ÄB_c--'), 'feature--b-c');
    assert.equal(azureEnvName('Build.SourceBranch'), 'BUILD_SOURCEBRANCH');
  });
});

describe('deployments', () => {
  it('records a deploying job with the revision that ran and the service if named', () => {
    const p = makePipeline([
      { name: 'deploy', environment: { name: 'production' }, variables: { OPSLOOP_SERVICE: 'checkout-$TIER' } },
      { name: 'stop', environment: { name: 'production', action: 'stop' } },
      { name: 'build' },
    ], { variables: { TIER: 'api' } });
    const d = deploymentFor(p, p.jobs[0]!, { runId: 'r1', revision: 'abc', time: 5 });
    assert.deepEqual(d, { id: 'r1:.gitlab-ci.yml#deploy', environment: 'production', service: 'checkout-api', revision: 'abc', time: 5, source: 'pipeline', runId: 'r1', jobName: 'deploy' });
    assert.equal(deploymentFor(p, p.jobs[1]!, { runId: 'r1', revision: 'abc', time: 5 }), undefined, 'stopping an environment is not a deployment');
    assert.equal(deploymentFor(p, p.jobs[2]!, { runId: 'r1', revision: 'abc', time: 5 }), undefined);
    assert.equal(deploymentFor(p, p.jobs[0]!, { runId: 'r1', revision: '', time: 5 }), undefined, 'no revision, no deployment');
  });
});
