import * as assert from 'node:assert/strict';
import type { RunEvent } from '../../../../src/core/run/runEvents';
import { isJobFinished, markInterrupted, reduceRun, reduceRunEvents, runProgress } from '../../../../src/core/run/runState';

const runId = 'r1';
const queued: RunEvent = {
  type: 'run.queued',
  runId,
  time: 100,
  pipeline: { file: '.gitlab-ci.yml', format: 'gitlab', name: 'ci' },
  jobs: [
    { id: 'f#a', name: 'a', stage: 'build' },
    { id: 'f#b', name: 'b', stage: 'test' },
    { id: 'f#m', name: 'm', stage: 'deploy' },
  ],
  trigger: 'test',
  revision: 'abc',
};

describe('run state reducer', () => {
  it('folds a run from queued to finished', () => {
    const events: RunEvent[] = [
      queued,
      { type: 'run.started', runId, time: 101 },
      { type: 'job.started', runId, jobId: 'f#a', time: 101, attempt: 1, logFile: '/logs/a.log' },
      { type: 'job.output', runId, jobId: 'f#a', time: 101.5, stream: 'stdout', text: 'hello\n' },
      { type: 'job.finished', runId, jobId: 'f#a', time: 102, status: 'passed', exitCode: 0, durationMs: 1000 },
      { type: 'job.started', runId, jobId: 'f#b', time: 102, attempt: 1 },
      { type: 'job.started', runId, jobId: 'f#b', time: 103, attempt: 2 },
      { type: 'job.finished', runId, jobId: 'f#b', time: 104, status: 'failed', exitCode: 2, durationMs: 2000, allowedFailure: true, cause: 'script', attempt: 2 },
      { type: 'job.waiting', runId, jobId: 'f#m', time: 104, reason: 'manual' },
    ];
    let state = reduceRunEvents(events)!;
    assert.equal(state.status, 'running');
    assert.equal(state.revision, 'abc');
    const [a, b, m] = state.jobs;
    assert.equal(a!.status, 'passed');
    assert.equal(a!.outputChars, 6);
    assert.equal(a!.logFile, '/logs/a.log');
    assert.equal(b!.attempt, 2);
    assert.equal(b!.startTime, 102, 'a retry keeps the first start');
    assert.equal(b!.allowedFailure, true);
    assert.equal(m!.status, 'manual');
    assert.equal(m!.waiting, true);
    assert.equal(isJobFinished(m!), false);
    const progress = runProgress(state);
    assert.equal(progress.done, 2);
    assert.equal(progress.waiting.length, 1);
    assert.equal(progress.failed.length, 0, 'an allowed failure is not a failure of the run');
    state = reduceRun(state, { type: 'job.finished', runId, jobId: 'f#m', time: 110, status: 'manual', exitCode: null, durationMs: 0, cause: 'manual' })!;
    state = reduceRun(state, { type: 'run.finished', runId, time: 110, status: 'passed', durationMs: 9000 })!;
    assert.equal(state.status, 'passed');
    assert.equal(runProgress(state).done, 3);
    assert.equal(state.durationMs, 9000);
  });

  it('ignores events of other runs, unknown jobs and unknown event types', () => {
    const state = reduceRun(undefined, queued)!;
    assert.equal(reduceRun(state, { type: 'run.started', runId: 'other', time: 1 }), state);
    assert.equal(reduceRun(state, { type: 'job.started', runId, jobId: 'nope', time: 1, attempt: 1 }), state);
    assert.equal(reduceRun(state, { type: 'future.event', runId } as unknown as RunEvent), state);
    assert.equal(reduceRun(undefined, { type: 'run.started', runId, time: 1 }), undefined);
  });

  it('never mutates the state it is given', () => {
    const state = reduceRun(undefined, queued)!;
    const frozen = JSON.stringify(state);
    reduceRun(state, { type: 'job.started', runId, jobId: 'f#a', time: 101, attempt: 1 });
    assert.equal(JSON.stringify(state), frozen);
  });

  it('marks a run that never finished as interrupted, ending at its last record', () => {
    let state = reduceRunEvents([queued, { type: 'run.started', runId, time: 101 }, { type: 'job.started', runId, jobId: 'f#a', time: 105, attempt: 1 }])!;
    state = markInterrupted(state);
    assert.equal(state.status, 'canceled');
    assert.match(state.reason!, /interrupted/);
    assert.equal(state.jobs[0]!.status, 'canceled');
    assert.equal(state.jobs[1]!.status, 'canceled');
    assert.equal(state.endTime, 105);
    assert.equal(state.durationMs, 4000);
  });
});
