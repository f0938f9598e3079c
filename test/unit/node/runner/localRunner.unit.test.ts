import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePipeline } from '../../core/run/planBuilder';
import { cleanTempDirs, run, tempDir, waitUntil } from './support';

/** Each job appends "start <name> <ms>" and "end <name> <ms>" to a shared file. */
const traced = (name: string, body = 'true'): string => `echo "start ${name} $(date +%s%3N)" >> "$TRACE"; ${body}; echo "end ${name} $(date +%s%3N)" >> "$TRACE"`;

function readTrace(file: string): { event: string; name: string; ms: number }[] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([event, name, ms]) => ({ event: event!, name: name!, ms: Number(ms) }));
}

describe('local runner: real processes', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('runs the needs DAG in order, independent jobs in parallel', async () => {
    const root = tempDir();
    const trace = join(root, 'trace');
    const p = makePipeline(
      [
        { name: 'a', stage: 'build', needs: [], script: traced('a', 'sleep 0.4') },
        { name: 'b', stage: 'build', needs: [], script: traced('b', 'sleep 0.4') },
        { name: 'c', stage: 'test', needs: ['a'], script: traced('c') },
        { name: 'd', stage: 'deploy', needs: ['b', 'c'], script: traced('d') },
      ],
      { variables: { TRACE: trace } },
    );
    const started = Date.now();
    const ran = await run(p, { root, concurrency: 2 });
    const wall = Date.now() - started;
    assert.equal(ran.state.status, 'passed');
    const t = readTrace(trace);
    const at = (event: string, name: string): number => t.find((x) => x.event === event && x.name === name)!.ms;
    assert.ok(at('start', 'c') >= at('end', 'a'), 'c started before a ended');
    assert.ok(at('start', 'd') >= at('end', 'b') && at('start', 'd') >= at('end', 'c'), 'd started before its needs ended');
    // a and b overlap in time: they ran in parallel.
    assert.ok(at('start', 'b') < at('end', 'a') && at('start', 'a') < at('end', 'b'), 'a and b did not overlap');
    assert.ok(wall < 1500, `took ${wall} ms; two 0.4 s jobs in parallel should not take this long`);
  });

  it('honours the concurrency limit with real processes', async () => {
    const root = tempDir();
    const trace = join(root, 'trace');
    const p = makePipeline(['a', 'b', 'c', 'd'].map((name) => ({ name, needs: [], script: traced(name, 'sleep 0.2') })), { variables: { TRACE: trace } });
    await run(p, { root, concurrency: 1 });
    const t = readTrace(trace);
    for (let i = 1; i < t.length; i += 2) assert.equal(t[i]!.event, 'end', 'with concurrency 1, a job started while another ran');
  });

  it('skips dependents of a failed job, runs on_failure and always jobs, fails the run', async () => {
    const p = makePipeline([
      { name: 'build', stage: 'build', needs: [], script: 'echo building; exit 3' },
      { name: 'test', stage: 'test', needs: ['build'], script: 'echo should not run' },
      { name: 'notify', stage: 'test', needs: ['build'], when: 'on_failure', script: 'echo notified' },
      { name: 'cleanup', stage: 'test', needs: ['build'], when: 'always', script: 'echo cleaned' },
    ]);
    const ran = await run(p);
    assert.equal(ran.state.status, 'failed');
    assert.equal(ran.job('build').status, 'failed');
    assert.equal(ran.job('build').exitCode, 3);
    assert.equal(ran.job('test').status, 'skipped');
    assert.equal(ran.job('test').cause, 'upstream');
    assert.ok(!ran.output('test').includes('should not run'));
    assert.equal(ran.job('notify').status, 'passed');
    assert.match(ran.output('notify'), /notified/);
    assert.equal(ran.job('cleanup').status, 'passed');
  });

  it('stops a GitLab script at the first failing command, also inside a pipe', async () => {
    const p = makePipeline([
      { name: 'first', needs: [], script: 'echo one\nfalse\necho two' },
      { name: 'pipe', needs: [], script: 'false | cat\necho after-pipe' },
    ]);
    const ran = await run(p);
    assert.match(ran.output('first'), /one/);
    assert.ok(!ran.output('first').includes('two'));
    assert.equal(ran.job('pipe').status, 'failed', 'pipefail is on');
    assert.ok(!ran.output('pipe').includes('after-pipe'));
  });

  it('allow_failure keeps the run green and lets dependents run', async () => {
    const p = makePipeline([
      { name: 'flaky', needs: [], allowFailure: true, script: 'exit 1' },
      { name: 'next', needs: ['flaky'], script: 'echo next ran' },
    ]);
    const ran = await run(p);
    assert.equal(ran.state.status, 'passed');
    assert.equal(ran.job('flaky').status, 'failed');
    assert.equal(ran.job('flaky').allowedFailure, true);
    assert.match(ran.output('next'), /next ran/);
  });

  it('retries a failing job and passes when a later attempt passes', async () => {
    const root = tempDir();
    const p = makePipeline([{ name: 'flaky', needs: [], retry: 2, script: 'n=$(cat count 2>/dev/null || echo 0); n=$((n+1)); echo $n > count; echo "attempt $n"; [ $n -ge 3 ]' }]);
    const ran = await run(p, { root });
    assert.equal(ran.state.status, 'passed');
    assert.equal(ran.job('flaky').attempt, 3);
    const out = ran.output('flaky');
    assert.match(out, /attempt 1[\s\S]*retrying \(attempt 2 of 3\)[\s\S]*attempt 2[\s\S]*attempt 3/);
    assert.equal(ran.events.filter((e) => e.type === 'job.finished').length, 1, 'one job.finished for all attempts');
    assert.equal(readFileSync(join(root, 'count'), 'utf8').trim(), '3');
  });

  it('stops a job at its timeout and still runs after_script', async () => {
    const root = tempDir();
    const p = makePipeline([{ name: 'slow', needs: [], timeoutSeconds: 1, script: 'echo begin; sleep 30; echo never', after: 'echo "after $CI_JOB_STATUS" > after.txt' }]);
    const started = Date.now();
    const ran = await run(p, { root });
    const took = Date.now() - started;
    assert.equal(ran.job('slow').status, 'failed');
    assert.equal(ran.job('slow').cause, 'timeout');
    assert.match(ran.job('slow').reason!, /timed out after 1 s/);
    assert.ok(took < 6000, `took ${took} ms`);
    assert.equal(readFileSync(join(root, 'after.txt'), 'utf8').trim(), 'after failed');
  });

  it('runs after_script after a failure, with CI_JOB_STATUS, and its failure changes nothing', async () => {
    const root = tempDir();
    const p = makePipeline([
      { name: 'bad', needs: [], script: 'exit 2', after: 'echo "status=$CI_JOB_STATUS" > bad.txt' },
      { name: 'good', needs: [], script: 'true', after: 'echo "status=$CI_JOB_STATUS" > good.txt; exit 9' },
    ]);
    const ran = await run(p, { root });
    assert.equal(readFileSync(join(root, 'bad.txt'), 'utf8').trim(), 'status=failed');
    assert.equal(readFileSync(join(root, 'good.txt'), 'utf8').trim(), 'status=success');
    assert.equal(ran.job('good').status, 'passed');
    assert.match(ran.output('good'), /after_script failed \(exit code 9\)/);
  });

  it('runs after_script when the run is canceled', async () => {
    const root = tempDir();
    const p = makePipeline([{ name: 'long', needs: [], script: 'echo started > started.txt; sleep 30', after: 'echo "status=$CI_JOB_STATUS" > after.txt' }]);
    const ran = await run(p, {
      root,
      whileRunning: async (handle) => {
        await waitUntil('the job to start', () => existsSync(join(root, 'started.txt')));
        handle.cancel();
      },
    });
    assert.equal(ran.state.status, 'canceled');
    assert.equal(ran.job('long').status, 'canceled');
    assert.equal(readFileSync(join(root, 'after.txt'), 'utf8').trim(), 'status=canceled');
  });

  it('asks about manual jobs and runs them when the person agrees', async () => {
    const asked: string[] = [];
    const p = makePipeline([
      { name: 'build', needs: [], script: 'true' },
      { name: 'deploy', needs: ['build'], when: 'manual', script: 'echo deployed' },
      { name: 'promote', needs: ['build'], when: 'manual', script: 'echo promoted' },
    ]);
    const ran = await run(p, { askManual: async (job) => (asked.push(job.name), job.name === 'deploy') });
    assert.deepEqual(asked.sort(), ['deploy', 'promote']);
    assert.equal(ran.job('deploy').status, 'passed');
    assert.equal(ran.job('promote').status, 'manual');
    assert.ok(ran.events.some((e) => e.type === 'job.waiting'));
    assert.equal(ran.state.status, 'passed');
    const cli = await run(p);
    assert.equal(cli.job('deploy').status, 'manual', 'without someone to ask, manual jobs stay unstarted');
    const all = await run(p, { runManual: true });
    assert.equal(all.job('promote').status, 'passed');
  });

  it('emits a complete, ordered event stream', async () => {
    const p = makePipeline([{ name: 'a', needs: [], script: 'echo hi' }]);
    const ran = await run(p);
    const types = ran.events.filter((e) => e.type !== 'job.output').map((e) => e.type);
    assert.deepEqual(types, ['run.queued', 'job.queued', 'run.started', 'job.started', 'job.finished', 'run.finished']);
    const times = ran.events.map((e) => e.time);
    assert.deepEqual(times, [...times].sort((x, y) => x - y), 'times never go back');
    const started = ran.events.find((e) => e.type === 'job.started');
    assert.ok(started && started.type === 'job.started' && started.logFile && existsSync(started.logFile));
    assert.match(readFileSync(ran.job('a').logFile!, 'utf8'), /hi\n/);
  });

  it('reports a missing shell or working directory as the job\'s error, not a crash', async () => {
    const p = makePipeline([{ name: 'gh', needs: [], steps: [{ name: 's', kind: 'script', script: 'echo x', phase: 'main', workingDirectory: 'no/such/dir' }] }], { format: 'github' });
    const ran = await run(p);
    assert.equal(ran.job('gh').status, 'failed');
    assert.equal(ran.job('gh').cause, 'error');
    assert.match(ran.output('gh'), /working directory .*no\/such\/dir does not exist/);
    const q = makePipeline([{ name: 'x', needs: [], script: 'true' }]);
    const missing = await run(q, { shellPath: '/nonexistent/bash' });
    assert.equal(missing.job('x').status, 'failed');
    assert.match(missing.output('x'), /\/nonexistent\/bash was not found/);
    assert.equal(missing.job('x').cause, 'error');
  });
});
