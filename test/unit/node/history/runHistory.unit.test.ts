import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunEvent } from '../../../../src/core/run/runEvents';
import { RunHistory } from '../../../../src/node/history/runHistory';
import { newRunId, startRun } from '../../../../src/node/runner/localRunner';
import { makePipeline } from '../../core/run/planBuilder';
import { cleanTempDirs, gitIn, makeRepo, tempDir } from '../runner/support';

function fakeRun(runId: string, time: number, status: 'passed' | 'failed' = 'passed'): RunEvent[] {
  return [
    { type: 'run.queued', runId, time, pipeline: { file: '.gitlab-ci.yml', format: 'gitlab', name: 'ci' }, jobs: [{ id: 'f#a', name: 'a', stage: 's' }], trigger: 'test' },
    { type: 'run.started', runId, time },
    { type: 'job.started', runId, jobId: 'f#a', time, attempt: 1 },
    { type: 'job.output', runId, jobId: 'f#a', time, stream: 'stdout', text: 'not in the events file\n' },
    { type: 'job.finished', runId, jobId: 'f#a', time: time + 1, status, exitCode: status === 'passed' ? 0 : 1, durationMs: 1000 },
    { type: 'run.finished', runId, time: time + 1, status, durationMs: 1000 },
  ];
}

describe('run history', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('records runs and reads them back, newest first, without output lines', () => {
    const history = new RunHistory(tempDir());
    for (const [i, id] of ['r1', 'r2', 'r3'].entries()) {
      const recorder = history.begin(id);
      for (const e of fakeRun(id, 1000 + i, i === 1 ? 'failed' : 'passed')) recorder.record(e);
    }
    const list = history.list();
    assert.deepEqual(list.map((r) => r.runId), ['r3', 'r2', 'r1']);
    assert.equal(list[1]!.status, 'failed');
    assert.deepEqual(list[1]!.failedJobs, ['a']);
    const loaded = history.load('r2')!;
    assert.equal(loaded.state.status, 'failed');
    assert.equal(loaded.skippedLines, 0);
    assert.ok(!readFileSync(join(history.folder, 'r2', 'events.jsonl'), 'utf8').includes('not in the events file'));
  });

  it('skips a torn last line and still reads the run', () => {
    const history = new RunHistory(tempDir());
    const recorder = history.begin('torn');
    for (const e of fakeRun('torn', 5).slice(0, 3)) recorder.record(e);
    recorder.close();
    appendFileSync(join(history.folder, 'torn', 'events.jsonl'), '{"type":"job.finished","runId":"torn","jobId":"f#a","ti');
    const loaded = history.load('torn')!;
    assert.equal(loaded.skippedLines, 1);
    assert.equal(loaded.live, true, 'its writer (this process) is alive');
  });

  it('a corrupt or missing index loses nothing: runs are found from their folders', () => {
    const history = new RunHistory(tempDir());
    for (const id of ['a1', 'a2']) {
      const r = history.begin(id);
      for (const e of fakeRun(id, id === 'a1' ? 1 : 2)) r.record(e);
    }
    writeFileSync(join(history.folder, 'index.json'), '{"runs": [ {"runId": "a1", "stat');
    assert.deepEqual(history.list().map((r) => r.runId), ['a2', 'a1']);
  });

  it('keeps the last N runs', () => {
    const history = new RunHistory(tempDir(), { keep: 5 });
    for (let i = 0; i < 12; i++) {
      const id = `run${String(i).padStart(2, '0')}`;
      const r = history.begin(id);
      for (const e of fakeRun(id, 100 + i)) r.record(e);
    }
    assert.equal(readdirSync(history.folder, { withFileTypes: true }).filter((d) => d.isDirectory()).length, 5);
    assert.deepEqual(history.list().map((r) => r.runId), ['run11', 'run10', 'run09', 'run08', 'run07']);
    const index = JSON.parse(readFileSync(join(history.folder, 'index.json'), 'utf8')) as { runs: unknown[] };
    assert.equal(index.runs.length, 5);
  });

  it('survives kill -9 of the process writing it: earlier runs intact, the cut run marked interrupted', async () => {
    const folder = tempDir();
    const history = new RunHistory(folder);
    const done = history.begin('earlier');
    for (const e of fakeRun('earlier', 1)) done.record(e);
    // A real writer process that records events as fast as it can until it is killed.
    const writer = join(tempDir(), 'writer.js');
    const modulePath = require.resolve('../../../../src/node/history/runHistory');
    writeFileSync(
      writer,
      `const { RunHistory } = require(${JSON.stringify(modulePath)});
       const h = new RunHistory(${JSON.stringify(folder)});
       const r = h.begin('victim');
       const jobs = Array.from({ length: 50 }, (_, i) => ({ id: 'f#j' + i, name: 'j' + i, stage: 's' }));
       r.record({ type: 'run.queued', runId: 'victim', time: 10, pipeline: { file: 'f', format: 'gitlab', name: 'n' }, jobs, trigger: 't' });
       r.record({ type: 'run.started', runId: 'victim', time: 10 });
       let n = 0;
       for (;;) {
         const j = jobs[n % 50];
         r.record({ type: 'job.started', runId: 'victim', jobId: j.id, time: 10 + n, attempt: 1, logFile: 'x'.repeat(2000) });
         r.record({ type: 'job.finished', runId: 'victim', jobId: j.id, time: 11 + n, status: 'passed', exitCode: 0, durationMs: 1 });
         if (++n === 200) process.stdout.write('ready\\n');
       }`,
    );
    const child = spawn(process.execPath, [writer], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve()));
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGKILL');
    await new Promise((r) => child.on('exit', r));
    const loaded = history.load('victim');
    assert.ok(loaded, 'the killed run is not readable');
    assert.ok(loaded.skippedLines <= 1, `${loaded.skippedLines} lines were unreadable`);
    assert.equal(loaded.live, false);
    assert.equal(loaded.state.status, 'canceled');
    assert.match(loaded.state.reason!, /interrupted/);
    assert.ok(loaded.state.jobs.filter((j) => j.status === 'passed').length > 0);
    const list = history.list();
    assert.deepEqual(list.map((r) => r.runId).sort(), ['earlier', 'victim']);
    assert.equal(list.find((r) => r.runId === 'earlier')!.status, 'passed');
    JSON.parse(readFileSync(join(folder, 'index.json'), 'utf8'));
  });

  it('stores a real run: events, full logs, deployments', async () => {
    const history = new RunHistory(tempDir());
    const root = makeRepo({ 'app.txt': '1\n' });
    const head = gitIn(root, 'rev-parse', 'HEAD').trim();
    const runId = newRunId(Date.now());
    const recorder = history.begin(runId);
    const p = makePipeline([{ name: 'deploy', needs: [], environment: { name: 'production' }, script: 'echo shipping' }]);
    const handle = await startRun({ root, pipeline: p, selection: { kind: 'pipeline' }, trigger: 'test', runId, logDir: recorder.logDir, onEvent: recorder.record });
    await handle.done;
    const loaded = history.load(runId)!;
    assert.equal(loaded.state.status, 'passed');
    assert.equal(loaded.state.revision, head);
    const log = loaded.state.jobs[0]!.logFile!;
    assert.ok(log.startsWith(recorder.logDir) && existsSync(log));
    assert.match(readFileSync(log, 'utf8'), /shipping/);
    assert.deepEqual(history.deployments().map((d) => [d.environment, d.revision, d.runId]), [['production', head, runId]]);
    history.appendDeployment({ id: 'x', environment: 'production', revision: 'abc', time: 1, source: 'pipeline' });
    appendFileSync(join(history.folder, 'deployments.jsonl'), '{"id":"torn","envir');
    assert.deepEqual(history.deployments().map((d) => d.id), [`${runId}:.gitlab-ci.yml#deploy`, 'x'], 'a torn record is skipped');
  });
});
