import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { OpsloopError } from '../../../../src/core/errors';
import { buildRunGraph, type RunSelection } from '../../../../src/core/run/runGraph';
import { Scheduler, type SchedulerAction, type SchedulerOptions } from '../../../../src/core/run/scheduler';
import type { Pipeline } from '../../../../src/core/pipeline/model';
import { idOf, type JobSpec, makePipeline } from './planBuilder';

type Outcome = 'pass' | 'fail' | number;

interface Simulation {
  readonly trace: string[];
  readonly status: Map<string, string>;
  readonly causes: Map<string, string>;
  readonly run?: SchedulerAction & { type: 'finishRun' };
  readonly maxRunning: number;
  readonly attempts: Map<string, number>;
  readonly asked: string[];
}

/**
 * Drives the scheduler as an executor would: every `start` becomes a running job that ends
 * with the next outcome listed for it (pass by default). `pick` chooses which running job ends
 * next (FIFO by default); `answer` answers manual questions.
 */
function simulate(
  pipeline: Pipeline,
  outcomes: Record<string, Outcome[]> = {},
  options: Partial<SchedulerOptions> & { selection?: RunSelection; pick?: (running: string[]) => number; answer?: (name: string) => boolean | undefined; cancelAfter?: number } = {},
): Simulation {
  const graph = buildRunGraph(pipeline, options.selection ?? { kind: 'pipeline' });
  const names = new Map(pipeline.jobs.map((j) => [j.id, j.name]));
  const scheduler = new Scheduler(graph, { concurrency: options.concurrency ?? 4, ...(options.runManual ? { runManual: true } : {}), ...(options.condition ? { condition: options.condition } : {}) });
  const trace: string[] = [];
  const status = new Map<string, string>();
  const causes = new Map<string, string>();
  const attempts = new Map<string, number>();
  const asked: string[] = [];
  let running: string[] = [];
  let run: (SchedulerAction & { type: 'finishRun' }) | undefined;
  let maxRunning = 0;
  const pendingAsks: string[] = [];
  const apply = (actions: SchedulerAction[]): void => {
    for (const a of actions) {
      const name = 'jobId' in a ? names.get(a.jobId)! : '';
      switch (a.type) {
        case 'start':
          trace.push(`start ${name}`);
          running.push(a.jobId);
          attempts.set(name, 1);
          status.set(name, 'running');
          break;
        case 'retry':
          trace.push(`retry ${name} ${a.attempt}`);
          attempts.set(name, a.attempt);
          running.push(a.jobId);
          break;
        case 'settle':
          trace.push(`${a.status} ${name}`);
          status.set(name, a.status);
          causes.set(name, a.cause);
          break;
        case 'ask':
          trace.push(`ask ${name}`);
          asked.push(name);
          pendingAsks.push(a.jobId);
          status.set(name, 'asking');
          break;
        case 'stop':
          trace.push(`stop ${name}`);
          break;
        case 'finishRun':
          assert.equal(run, undefined, 'the run finished twice');
          run = a;
          trace.push(`run ${a.status}`);
          break;
      }
    }
    maxRunning = Math.max(maxRunning, scheduler.runningCount);
    assert.ok(scheduler.runningCount <= (options.concurrency ?? 4), 'more jobs run than the concurrency allows');
  };
  apply(scheduler.start());
  let steps = 0;
  const used = new Map<string, number>();
  let stopping = false;
  while (!run) {
    if (++steps > 10_000) throw new Error('simulation did not end');
    if (options.cancelAfter !== undefined && steps > options.cancelAfter && !stopping) {
      stopping = true;
      apply(scheduler.cancel('canceled by the test'));
      continue;
    }
    if (pendingAsks.length > 0) {
      const jobId = pendingAsks.shift()!;
      const answer = options.answer?.(names.get(jobId)!) ?? false;
      apply(scheduler.decide(jobId, answer));
      continue;
    }
    if (running.length === 0) throw new Error(`nothing running but the run is not finished: ${trace.join(', ')}`);
    const index = options.pick ? options.pick(running) % running.length : 0;
    const jobId = running[index]!;
    running = running.filter((_, i) => i !== index);
    const name = names.get(jobId)!;
    if (stopping) {
      trace.push(`end ${name} canceled`);
      status.set(name, 'canceled');
      apply(scheduler.finished(jobId, { outcome: 'canceled', exitCode: null, cause: 'canceled' }));
      continue;
    }
    const n = used.get(name) ?? 0;
    used.set(name, n + 1);
    const outcome = outcomes[name]?.[n] ?? outcomes[name]?.[outcomes[name]!.length - 1] ?? 'pass';
    const passed = outcome === 'pass' || outcome === 0;
    const exitCode = outcome === 'pass' ? 0 : outcome === 'fail' ? 1 : outcome;
    trace.push(`end ${name} ${passed ? 'passed' : 'failed'}`);
    const view = (): string => scheduler.view(jobId)!.state;
    apply(scheduler.finished(jobId, { outcome: passed ? 'passed' : 'failed', exitCode, cause: 'script' }));
    if (view() !== 'running') status.set(name, view());
  }
  return { trace, status, causes, run, maxRunning, attempts, asked };
}

const startIndex = (sim: Simulation, name: string): number => sim.trace.indexOf(`start ${name}`);
const endIndex = (sim: Simulation, name: string): number => sim.trace.findIndex((t) => t.startsWith(`end ${name} `));

describe('scheduler: order and parallelism', () => {
  it('starts a job only after every job it needs has ended', () => {
    const p = makePipeline([
      { name: 'build', stage: 'build', needs: [] },
      { name: 'lint', stage: 'build', needs: [] },
      { name: 'test', stage: 'test', needs: ['build'] },
      { name: 'deploy', stage: 'deploy', needs: ['test', 'lint'] },
    ]);
    const sim = simulate(p);
    assert.ok(startIndex(sim, 'test') > endIndex(sim, 'build'));
    assert.ok(startIndex(sim, 'deploy') > endIndex(sim, 'test'));
    assert.ok(startIndex(sim, 'deploy') > endIndex(sim, 'lint'));
    assert.equal(sim.run?.status, 'passed');
  });

  it('starts independent jobs together, up to the concurrency limit', () => {
    const p = makePipeline(['a', 'b', 'c', 'd', 'e'].map((name) => ({ name, needs: [] })));
    const sim = simulate(p, {}, { concurrency: 2 });
    assert.deepEqual(sim.trace.slice(0, 2), ['start a', 'start b']);
    assert.equal(sim.maxRunning, 2);
    assert.equal(sim.trace.filter((t) => t.startsWith('start')).length, 5);
    const wide = simulate(p, {}, { concurrency: 8 });
    assert.equal(wide.maxRunning, 5);
  });

  it('orders jobs without needs by stage: every job of every earlier stage first', () => {
    const p = makePipeline(
      [
        { name: 'b1', stage: 'build', needs: null },
        { name: 'b2', stage: 'build', needs: null },
        { name: 't1', stage: 'test', needs: null },
        { name: 'early', stage: 'deploy', needs: [] },
        { name: 'd1', stage: 'deploy', needs: null },
      ],
      { stages: ['build', 'test', 'deploy'] },
    );
    const sim = simulate(p, {}, { concurrency: 3 });
    assert.ok(startIndex(sim, 't1') > endIndex(sim, 'b1') && startIndex(sim, 't1') > endIndex(sim, 'b2'));
    assert.ok(startIndex(sim, 'd1') > endIndex(sim, 't1'));
    // `needs: []` starts at once even in the last stage.
    assert.deepEqual(sim.trace.slice(0, 3), ['start b1', 'start b2', 'start early']);
  });

  it('resolves a need on a matrix parent to every instance', () => {
    const p = makePipeline([
      { name: 'test: [a]', definition: 'test', needs: [] },
      { name: 'test: [b]', definition: 'test', needs: [] },
      { name: 'report', needs: ['test'] },
    ]);
    const graph = buildRunGraph(p, { kind: 'pipeline' });
    assert.deepEqual(graph.jobs.find((j) => j.name === 'report')!.deps, [idOf('test: [a]'), idOf('test: [b]')]);
  });

  it('is deterministic: the same inputs give the same actions', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'] }, { name: 'c', needs: [] }]);
    assert.deepEqual(simulate(p, { a: ['fail'] }).trace, simulate(p, { a: ['fail'] }).trace);
  });
});

describe('scheduler: failures', () => {
  const p = makePipeline([
    { name: 'build', stage: 'build', needs: [] },
    { name: 'test', stage: 'test', needs: ['build'] },
    { name: 'report', stage: 'test', needs: ['test'] },
    { name: 'cleanup', stage: 'post', needs: ['build'], when: 'always' },
    { name: 'notify', stage: 'post', needs: ['report'], when: 'on_failure' },
    { name: 'other', stage: 'build', needs: [] },
  ]);

  it('skips what depends on a failed job, transitively, but runs always and on_failure jobs', () => {
    const sim = simulate(p, { build: ['fail'] });
    assert.equal(sim.status.get('build'), 'failed');
    assert.equal(sim.status.get('test'), 'skipped');
    assert.equal(sim.causes.get('test'), 'upstream');
    assert.equal(sim.status.get('report'), 'skipped');
    assert.equal(sim.causes.get('report'), 'upstream');
    assert.equal(sim.status.get('cleanup'), 'passed');
    assert.equal(sim.status.get('notify'), 'passed', 'on_failure sees the failure through skipped jobs');
    assert.equal(sim.status.get('other'), 'passed', 'an unrelated job still runs');
    assert.equal(sim.run?.status, 'failed');
    assert.match(sim.run?.reason ?? '', /build/);
  });

  it('does not run on_failure jobs when nothing failed, and the run still passes', () => {
    const sim = simulate(p);
    assert.equal(sim.status.get('notify'), 'skipped');
    assert.equal(sim.causes.get('notify'), 'when');
    assert.equal(sim.run?.status, 'passed');
  });

  it('in stage order, a failure in an earlier stage skips every later on_success job', () => {
    const staged = makePipeline(
      [
        { name: 'a', stage: 's1', needs: null },
        { name: 'b', stage: 's1', needs: null },
        { name: 'c', stage: 's2', needs: null },
        { name: 'd', stage: 's3', needs: null },
        { name: 'e', stage: 's3', needs: null, when: 'on_failure' },
      ],
      { stages: ['s1', 's2', 's3'] },
    );
    const sim = simulate(staged, { b: ['fail'] });
    assert.equal(sim.status.get('a'), 'passed');
    assert.equal(sim.status.get('c'), 'skipped');
    assert.equal(sim.status.get('d'), 'skipped');
    assert.equal(sim.status.get('e'), 'passed');
    assert.equal(sim.run?.status, 'failed');
  });

  it('allow_failure keeps dependents running and the run green', () => {
    const allowed = makePipeline([
      { name: 'flaky', needs: [], allowFailure: true },
      { name: 'after', needs: ['flaky'] },
    ]);
    const sim = simulate(allowed, { flaky: ['fail'] });
    assert.equal(sim.status.get('flaky'), 'failed');
    assert.equal(sim.status.get('after'), 'passed');
    assert.equal(sim.run?.status, 'passed');
  });

  it('allow_failure with exit codes allows only those codes', () => {
    const p2 = makePipeline([{ name: 'x', needs: [], allowFailure: true, allowFailureExitCodes: [3] }, { name: 'y', needs: ['x'] }]);
    assert.equal(simulate(p2, { x: [3] }).run?.status, 'passed');
    const other = simulate(p2, { x: [1] });
    assert.equal(other.run?.status, 'failed');
    assert.equal(other.status.get('y'), 'skipped');
  });

  it('retries a failed job up to `retry` times and uses the last outcome', () => {
    const r = makePipeline([{ name: 'flaky', needs: [], retry: 2 }, { name: 'next', needs: ['flaky'] }]);
    const recovered = simulate(r, { flaky: ['fail', 'pass'] });
    assert.ok(recovered.trace.includes('retry flaky 2'));
    assert.equal(recovered.status.get('flaky'), 'passed');
    assert.equal(recovered.status.get('next'), 'passed');
    assert.equal(recovered.run?.status, 'passed');
    const exhausted = simulate(r, { flaky: ['fail', 'fail', 'fail', 'pass'] });
    assert.equal(exhausted.attempts.get('flaky'), 3);
    assert.equal(exhausted.status.get('flaky'), 'failed');
    assert.equal(exhausted.run?.status, 'failed');
  });

  it('caps retry at 2, as GitLab does', () => {
    const r = makePipeline([{ name: 'x', needs: [], retry: 9 }]);
    const sim = simulate(r, { x: ['fail'] });
    assert.equal(sim.attempts.get('x'), 3);
  });

  it('a retried job keeps its slot: the concurrency limit holds', () => {
    const r = makePipeline([{ name: 'x', needs: [], retry: 1 }, { name: 'y', needs: [] }, { name: 'z', needs: [] }]);
    const sim = simulate(r, { x: ['fail', 'pass'] }, { concurrency: 1 });
    assert.equal(sim.maxRunning, 1);
    assert.deepEqual(sim.trace.slice(0, 3), ['start x', 'end x failed', 'retry x 2']);
  });
});

describe('scheduler: when', () => {
  it('asks for a manual job and starts it when the person says so', () => {
    const p = makePipeline([{ name: 'build', needs: [] }, { name: 'deploy', needs: ['build'], when: 'manual' }]);
    const yes = simulate(p, {}, { answer: () => true });
    assert.deepEqual(yes.asked, ['deploy']);
    assert.equal(yes.status.get('deploy'), 'passed');
    const no = simulate(p, {}, { answer: () => false });
    assert.equal(no.status.get('deploy'), 'manual');
    assert.equal(no.run?.status, 'passed', 'a manual job nobody started does not fail the run');
  });

  it('runs manual jobs without asking with runManual, or when the person picked the job', () => {
    const p = makePipeline([{ name: 'build', needs: [] }, { name: 'deploy', needs: ['build'], when: 'manual' }]);
    assert.deepEqual(simulate(p, {}, { runManual: true }).asked, []);
    const picked = simulate(p, {}, { selection: { kind: 'jobs', jobs: ['deploy'] } });
    assert.deepEqual(picked.asked, []);
    assert.equal(picked.status.get('deploy'), 'passed');
  });

  it('skips jobs that need a manual job nobody started; stage order ignores optional manual jobs', () => {
    const p = makePipeline(
      [
        { name: 'gate', stage: 's1', needs: null, when: 'manual', allowFailure: true },
        { name: 'needsGate', stage: 's2', needs: ['gate'] },
        { name: 'staged', stage: 's2', needs: null },
      ],
      { stages: ['s1', 's2'] },
    );
    const sim = simulate(p, {}, { answer: () => false });
    assert.equal(sim.status.get('needsGate'), 'skipped');
    assert.equal(sim.causes.get('needsGate'), 'manual');
    assert.equal(sim.status.get('staged'), 'passed');
    assert.equal(sim.run?.status, 'passed');
  });

  it('a blocking manual job (allow_failure: false) holds back later stages', () => {
    const p = makePipeline(
      [
        { name: 'gate', stage: 's1', needs: null, when: 'manual', allowFailure: false },
        { name: 'later', stage: 's2', needs: null },
      ],
      { stages: ['s1', 's2'] },
    );
    const sim = simulate(p, {}, { answer: () => false });
    assert.equal(sim.status.get('later'), 'skipped');
    assert.equal(sim.causes.get('later'), 'manual');
  });

  it('never creates jobs with when: never', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: [], when: 'never' }]);
    const graph = buildRunGraph(p, { kind: 'pipeline' });
    assert.deepEqual(graph.jobs.map((j) => j.name), ['a']);
    assert.throws(() => buildRunGraph(p, { kind: 'jobs', jobs: ['b'] }), /when: never/);
  });

  it('skips a job whose condition is false', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'] }]);
    const sim = simulate(p, {}, { condition: (id) => !id.endsWith('#a') });
    assert.equal(sim.status.get('a'), 'skipped');
    assert.equal(sim.causes.get('a'), 'condition');
    assert.equal(sim.status.get('b'), 'skipped');
    assert.equal(sim.causes.get('b'), 'need');
    assert.equal(sim.run?.status, 'passed');
  });
});

describe('scheduler: cancel', () => {
  it('stops running jobs, cancels waiting ones and ends the run canceled', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: [] }, { name: 'c', needs: ['a'] }, { name: 'd', needs: ['c'], when: 'always' }]);
    const sim = simulate(p, {}, { concurrency: 2, cancelAfter: 0 });
    assert.ok(sim.trace.includes('stop a') && sim.trace.includes('stop b'));
    assert.equal(sim.status.get('c'), 'canceled');
    assert.equal(sim.status.get('d'), 'canceled', 'cancel stops even when: always jobs from starting');
    assert.equal(sim.run?.status, 'canceled');
    assert.equal(sim.trace.filter((t) => t.startsWith('start')).length, 2);
  });

  it('cancels a manual job that is waiting for an answer', () => {
    const p = makePipeline([{ name: 'm', needs: [], when: 'manual' }]);
    const graph = buildRunGraph(p, { kind: 'pipeline' });
    const s = new Scheduler(graph, { concurrency: 1 });
    assert.deepEqual(s.start(), [{ type: 'ask', jobId: idOf('m') }]);
    const actions = s.cancel('stop');
    assert.deepEqual(actions.map((a) => a.type), ['settle', 'finishRun']);
    assert.deepEqual(s.decide(idOf('m'), true), [], 'an answer after cancel does nothing');
  });

  it('cancelling one job skips what needs it and ends the run canceled', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'] }, { name: 'c', needs: [] }]);
    const graph = buildRunGraph(p, { kind: 'pipeline' });
    const s = new Scheduler(graph, { concurrency: 4 });
    s.start();
    assert.deepEqual(s.cancelJob(idOf('a')), [{ type: 'stop', jobId: idOf('a') }]);
    const after = s.finished(idOf('a'), { outcome: 'failed', exitCode: 143 });
    assert.deepEqual(after.map((a) => a.type), ['settle']);
    assert.equal(s.view(idOf('a'))!.state, 'canceled', 'a stopped job is canceled whatever its exit code');
    assert.equal(s.view(idOf('b'))!.cause, 'upstream');
    const end = s.finished(idOf('c'), { outcome: 'passed', exitCode: 0 });
    assert.deepEqual(end, [{ type: 'finishRun', status: 'canceled', reason: 'canceled: a' }]);
  });

  it('ignores results for jobs it did not start', () => {
    const p = makePipeline([{ name: 'a', needs: [] }, { name: 'b', needs: ['a'] }]);
    const s = new Scheduler(buildRunGraph(p, { kind: 'pipeline' }), { concurrency: 1 });
    s.start();
    assert.deepEqual(s.finished(idOf('b'), { outcome: 'passed', exitCode: 0 }), []);
    assert.deepEqual(s.finished('nope', { outcome: 'passed', exitCode: 0 }), []);
  });
});

describe('run graph: selection', () => {
  const p = makePipeline(
    [
      { name: 'build', stage: 'build', needs: null },
      { name: 'lint', stage: 'build', needs: null },
      { name: 'unit', stage: 'test', needs: ['build'] },
      { name: 'e2e', stage: 'test', needs: null },
      { name: 'deploy', stage: 'deploy', needs: ['unit'] },
    ],
    { stages: ['build', 'test', 'deploy'] },
  );
  const names = (selection: RunSelection): string[] => buildRunGraph(p, selection).jobs.map((j) => j.name);

  it('a job comes with the jobs it needs, transitively', () => {
    assert.deepEqual(names({ kind: 'jobs', jobs: ['deploy'] }), ['build', 'unit', 'deploy']);
    // Without needs, "what it needs" is every job of the earlier stages.
    assert.deepEqual(names({ kind: 'jobs', jobs: ['e2e'] }), ['build', 'lint', 'e2e']);
    assert.deepEqual(names({ kind: 'jobs', jobs: [idOf('unit'), 'lint'] }), ['build', 'lint', 'unit']);
  });

  it('a stage runs only its own jobs; their needs outside the stage count as done', () => {
    const graph = buildRunGraph(p, { kind: 'stage', stage: 'test' });
    assert.deepEqual(graph.jobs.map((j) => j.name), ['unit', 'e2e']);
    assert.deepEqual(graph.jobs.map((j) => j.deps), [[], []]);
  });

  it('re-run failed takes what did not pass, and what passed counts as done', () => {
    const previous = {
      runId: 'r1',
      jobs: [
        { id: idOf('build'), status: 'passed' as const },
        { id: idOf('lint'), status: 'passed' as const },
        { id: idOf('unit'), status: 'failed' as const, cause: 'script' as const },
        { id: idOf('e2e'), status: 'passed' as const },
        { id: idOf('deploy'), status: 'skipped' as const, cause: 'upstream' as const },
        { id: idOf('gone'), status: 'failed' as const },
      ],
    };
    const graph = buildRunGraph(p, { kind: 'failed', previous });
    assert.deepEqual(graph.jobs.map((j) => j.name), ['unit', 'deploy']);
    assert.deepEqual(graph.jobs[0]!.deps, []);
    assert.deepEqual(graph.jobs[1]!.deps, [idOf('unit')]);
    assert.ok(graph.warnings.some((w) => w.includes('gone')));
    assert.ok(graph.jobs.every((j) => j.confirmed));
    const notRerun = { runId: 'r2', jobs: [{ id: idOf('deploy'), status: 'skipped' as const, cause: 'when' as const }] };
    assert.throws(() => buildRunGraph(p, { kind: 'failed', previous: notRerun }), /no failed job/);
  });

  it('names what is wrong with a selection', () => {
    assert.throws(() => names({ kind: 'jobs', jobs: ['nope'] }), (e: unknown) => OpsloopError.is(e, 'invalidInput') && /No job 'nope'.*build/.test(e.message));
    assert.throws(() => names({ kind: 'stage', stage: 'qa' }), /Stages: build, test, deploy/);
  });

  it('refuses a pipeline with nothing to run', () => {
    assert.throws(() => buildRunGraph(makePipeline([{ name: 'x', when: 'never' }]), { kind: 'pipeline' }), /has no job to run/);
  });

  it('reports a needs cycle instead of hanging', () => {
    const cyclic = makePipeline([{ name: 'a', needs: ['c'] }, { name: 'b', needs: ['a'] }, { name: 'c', needs: ['b'] }, { name: 'd', needs: [] }]);
    assert.throws(() => buildRunGraph(cyclic, { kind: 'pipeline' }), /cycle.*a, b, c/);
  });

  it('ignores needs that point nowhere, with a warning unless optional', () => {
    const q = makePipeline([{ name: 'a', needs: ['ghost', { job: 'maybe', optional: true }] }]);
    const graph = buildRunGraph(q, { kind: 'pipeline' });
    assert.deepEqual(graph.jobs[0]!.deps, []);
    assert.equal(graph.warnings.length, 1);
    assert.match(graph.warnings[0]!, /ghost/);
  });

  it('keeps file order among jobs that are ready together', () => {
    const q = makePipeline([{ name: 'z', needs: ['y'] }, { name: 'y', needs: [] }, { name: 'x', needs: [] }]);
    // z becomes available once y is placed, and comes before x in the file.
    assert.deepEqual(buildRunGraph(q, { kind: 'pipeline' }).jobs.map((j) => j.name), ['y', 'z', 'x']);
  });
});

describe('scheduler: properties over random DAGs', () => {
  const whens = ['on_success', 'on_success', 'on_success', 'on_failure', 'always', 'manual'] as const;
  const arbitraryPipeline = fc
    .integer({ min: 1, max: 12 })
    .chain((n) =>
      fc.tuple(
        fc.array(
          fc.record({
            deps: fc.array(fc.nat(), { maxLength: 4 }),
            when: fc.constantFrom(...whens),
            allowFailure: fc.boolean(),
            retry: fc.integer({ min: 0, max: 2 }),
            outcomes: fc.array(fc.constantFrom<Outcome>('pass', 'fail'), { minLength: 1, maxLength: 3 }),
            staged: fc.boolean(),
            stage: fc.integer({ min: 0, max: 3 }),
          }),
          { minLength: n, maxLength: n },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.nat(), { minLength: 50, maxLength: 50 }),
        fc.boolean(),
      ),
    );

  it('never breaks its invariants, whatever the graph, outcomes and completion order', () => {
    fc.assert(
      fc.property(arbitraryPipeline, ([specs, concurrency, picks, answerYes]) => {
        // Stages never decrease along the file, and needs point backwards: acyclic by construction.
        const stages = specs.map((s) => s.stage).sort();
        const jobs: JobSpec[] = specs.map((s, i) => ({
          name: `j${i}`,
          stage: `s${stages[i]}`,
          needs: s.staged ? null : [...new Set(s.deps.filter(() => i > 0).map((d) => `j${d % i}`))],
          when: s.when,
          allowFailure: s.allowFailure,
          retry: s.retry,
        }));
        const p = makePipeline(jobs, { stages: ['s0', 's1', 's2', 's3'] });
        const outcomes = Object.fromEntries(specs.map((s, i) => [`j${i}`, s.outcomes]));
        let pick = 0;
        const sim = simulate(p, outcomes, { concurrency, pick: () => picks[pick++ % picks.length]!, answer: () => answerYes });
        const graph = buildRunGraph(p, { kind: 'pipeline' });
        const byId = new Map(p.jobs.map((j) => [j.id, j.name]));
        // Every job ends exactly once, in an end state.
        for (const job of graph.jobs) {
          const state = sim.status.get(job.name);
          assert.ok(state && ['passed', 'failed', 'skipped', 'canceled', 'manual'].includes(state), `${job.name} ended as ${state}`);
          const starts = sim.trace.filter((t) => t === `start ${job.name}`).length;
          assert.ok(starts <= 1);
          // A job starts only after all its deps ended.
          if (starts === 1) for (const dep of job.deps) assert.ok(endIndex(sim, byId.get(dep)!) < startIndex(sim, job.name) || !sim.trace.includes(`start ${byId.get(dep)!}`));
          // Attempts never exceed retry + 1.
          assert.ok((sim.attempts.get(job.name) ?? 0) <= job.retry + 1);
        }
        // The run's verdict: passed exactly when no required job failed.
        const failedHard = graph.jobs.some((j) => sim.status.get(j.name) === 'failed' && !(j.allowFailure));
        assert.equal(sim.run?.status === 'failed', failedHard, sim.trace.join(' | '));
        if (!failedHard) assert.equal(sim.run?.status, 'passed');
        assert.equal(sim.trace[sim.trace.length - 1], `run ${sim.run?.status}`);
      }),
      { numRuns: 400 },
    );
  });
});

describe('scheduler: jobs that decide at start not to run', () => {
  it('a started job reported as skipped (Docker policy) does not fail the run; its needers are skipped', () => {
    const p = makePipeline([{ name: 'img', needs: [] }, { name: 'after', needs: ['img'] }, { name: 'staged', stage: 'z', needs: null }], { stages: ['test', 'z'] });
    const s = new Scheduler(buildRunGraph(p, { kind: 'pipeline' }), { concurrency: 2 });
    assert.deepEqual(s.start(), [{ type: 'start', jobId: idOf('img'), attempt: 1 }]);
    const actions = s.finished(idOf('img'), { outcome: 'skipped', exitCode: null, cause: 'policy' });
    assert.equal(s.view(idOf('img'))!.state, 'skipped');
    assert.equal(s.view(idOf('img'))!.cause, 'policy');
    assert.equal(s.view(idOf('after'))!.cause, 'need');
    assert.deepEqual(actions.map((a) => a.type), ['settle', 'start']);
    assert.deepEqual(s.finished(idOf('staged'), { outcome: 'passed', exitCode: 0 }), [{ type: 'finishRun', status: 'passed' }]);
  });
});
