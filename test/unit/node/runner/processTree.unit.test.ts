import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makePipeline } from '../../core/run/planBuilder';
import { alive, cleanTempDirs, run, tempDir, waitUntil } from './support';

const pidsIn = (file: string): number[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(Number)
    : [];

/**
 * A script that starts children and grandchildren of every awkward kind and records their pids:
 * a background child, a subshell with its own background grandchild, a process that ignores
 * SIGINT and SIGTERM (only SIGKILL stops it), and a daemon in a session of its own (setsid),
 * which leaves the job's process group.
 */
const treeScript = `
sleep 300 & echo $! >> "$PIDS"
( sleep 300 & echo $! >> "$PIDS"; sleep 300 ) & echo $! >> "$PIDS"
bash -c 'trap "" INT TERM; echo $$ >> "$PIDS"; while true; do sleep 0.1; done' &
setsid bash -c 'echo $$ >> "$PIDS"; exec sleep 300' < /dev/null > /dev/null 2>&1 &
echo $$ >> "$PIDS"
wait
`;

describe('process trees: cancel and cleanup leave no orphans', function () {
  this.timeout(60_000);
  afterEach(cleanTempDirs);

  it('cancel stops the job, its children and grandchildren, even those that ignore signals or left the group', async () => {
    const root = tempDir();
    const pids = join(root, 'pids');
    const p = makePipeline([{ name: 'tree', needs: [], script: treeScript, after: 'echo "after $CI_JOB_STATUS" > after.txt' }], { variables: { PIDS: pids } });
    let recorded: number[] = [];
    const ran = await run(p, {
      root,
      whileRunning: async (handle) => {
        await waitUntil('six processes to start', () => pidsIn(pids).length >= 6);
        recorded = pidsIn(pids);
        for (const pid of recorded) assert.ok(alive(pid), `process ${pid} is not running before the cancel`);
        handle.cancel();
      },
    });
    assert.equal(ran.state.status, 'canceled');
    const survivors = recorded.filter(alive);
    assert.deepEqual(survivors, [], `processes left running after cancel: ${survivors.join(', ')}`);
    const out = ran.output('tree');
    assert.match(out, /Sent SIGINT/);
    assert.match(out, /Sent SIGKILL/, 'the process that ignores SIGINT and SIGTERM needed the last rung');
    assert.equal(readFileSync(join(root, 'after.txt'), 'utf8').trim(), 'after canceled');
  });

  it('a timeout stops the whole tree the same way', async () => {
    const root = tempDir();
    const pids = join(root, 'pids');
    const p = makePipeline([{ name: 'tree', needs: [], timeoutSeconds: 2, script: treeScript }], { variables: { PIDS: pids } });
    const ran = await run(p, { root });
    assert.equal(ran.job('tree').cause, 'timeout');
    const recorded = pidsIn(pids);
    assert.ok(recorded.length >= 6, `only ${recorded.length} processes recorded`);
    assert.deepEqual(recorded.filter(alive), []);
  });

  it('background processes a passing job leaves behind are stopped when it ends', async () => {
    const root = tempDir();
    const pids = join(root, 'pids');
    const p = makePipeline([{ name: 'leaky', needs: [], script: 'sleep 300 > /dev/null 2>&1 & echo $! >> "$PIDS"\nsetsid sleep 301 < /dev/null > /dev/null 2>&1 & echo $! >> "$PIDS"\necho done' }], { variables: { PIDS: pids } });
    const ran = await run(p, { root });
    assert.equal(ran.job('leaky').status, 'passed');
    const recorded = pidsIn(pids);
    assert.equal(recorded.length, 2);
    assert.deepEqual(recorded.filter(alive), []);
    assert.match(ran.output('leaky'), /left running in the background/);
  });

  it('waits for the output to close, not for the shell to exit: late output is kept', async () => {
    const p = makePipeline([{ name: 'late', needs: [], script: '( sleep 0.3; echo late-line ) &\necho early-line' }]);
    const ran = await run(p, { lingerMs: 5000 });
    const out = ran.output('late');
    assert.match(out, /early-line/);
    assert.match(out, /late-line/, 'output written after the shell exited was lost');
    assert.ok(out.indexOf('late-line') < out.indexOf('Job succeeded'));
  });

  it('stops processes that keep the output open after the shell exited, once the linger time is over', async () => {
    const root = tempDir();
    const pids = join(root, 'pids');
    const p = makePipeline([{ name: 'holder', needs: [], script: 'sleep 300 & echo $! >> "$PIDS"\necho bye' }], { variables: { PIDS: pids } });
    const started = Date.now();
    const ran = await run(p, { root, lingerMs: 300 });
    assert.ok(Date.now() - started < 5000);
    assert.equal(ran.job('holder').status, 'passed');
    assert.match(ran.output('holder'), /still hold its output/);
    assert.deepEqual(pidsIn(pids).filter(alive), []);
  });
});
