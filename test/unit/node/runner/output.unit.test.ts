import * as assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { makePipeline } from '../../core/run/planBuilder';
import { maskText } from '../../../../src/core/run/secretMasker';
import { cleanTempDirs, run } from './support';

const secret = 'tok3n-Very/Secret+Value';

describe('job output: masking, caps and the full log', function () {
  this.timeout(120_000);
  afterEach(cleanTempDirs);

  it('masks a secret that a process prints in two separate writes, and its base64 and URL forms', async () => {
    const p = makePipeline([
      {
        name: 'leak',
        needs: [],
        script: [
          // The secret leaves the process in two writes with a pause between: two chunks.
          'printf "%s" "${DEPLOY_TOKEN:0:7}"; sleep 0.3; printf "%s\\n" "${DEPLOY_TOKEN:7}"',
          'printf "%s" "$DEPLOY_TOKEN" | base64',
          'printf "user:%s" "$DEPLOY_TOKEN" | base64',
          'node -e "process.stdout.write(encodeURIComponent(process.env.DEPLOY_TOKEN) + \'\\n\')"',
          'echo "in stderr $DEPLOY_TOKEN" >&2',
        ].join('\n'),
      },
    ]);
    const ran = await run(p, { secrets: { DEPLOY_TOKEN: secret } });
    assert.equal(ran.job('leak').status, 'passed');
    const chunks = ran.events.filter((e) => e.type === 'job.output' && e.stream === 'stdout');
    assert.ok(chunks.length >= 2, 'the secret did not arrive in separate chunks');
    const shown = ran.output('leak');
    const log = readFileSync(ran.job('leak').logFile!, 'utf8');
    for (const text of [shown, log]) {
      assert.ok(!text.includes(secret), 'the secret is visible');
      assert.ok(!text.includes(Buffer.from(secret).toString('base64').slice(0, 20)), 'its base64 is visible');
      assert.ok(!text.includes(encodeURIComponent(secret)), 'its URL-encoded form is visible');
      assert.ok(text.split(maskText).length - 1 >= 5, `expected 5 masks in:\n${text}`);
    }
  });

  it('masks inherited variables whose names say they are secret', async () => {
    const p = makePipeline([{ name: 'env', needs: [], script: 'echo "$NPM_TOKEN $PLAIN_VALUE"' }]);
    const ran = await run(p, { env: { ...process.env, NPM_TOKEN: 'npm_abcdefgh12345', PLAIN_VALUE: 'visible-value-1' } });
    assert.match(ran.output('env'), /\[MASKED\] visible-value-1/);
  });

  it('a job printing 200 MB: memory stays bounded, the log file is complete', async () => {
    const size = 200_000_000;
    const p = makePipeline([{ name: 'flood', needs: [], script: `set +o pipefail; yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnop | head -c ${size}` }]);
    // Retained memory is what is left after a collection: collect while the flood goes through.
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage();
    let peakRss = before.rss;
    let retained = 0;
    let outputChars = 0;
    let systemBytes = 0;
    const sampler = setInterval(() => {
      gc();
      const m = process.memoryUsage();
      peakRss = Math.max(peakRss, m.rss);
      retained = Math.max(retained, m.heapUsed + m.external + m.arrayBuffers - (before.heapUsed + before.external + before.arrayBuffers));
    }, 500);
    const ran = await run(p, {
      outputCapChars: 1_000_000,
      keepOutput: false,
      onEvent: (e) => {
        if (e.type !== 'job.output') return;
        if (e.stream === 'system') systemBytes += Buffer.byteLength(e.text);
        else outputChars += e.text.length;
      },
    });
    clearInterval(sampler);
    assert.equal(ran.job('flood').status, 'passed');
    assert.equal(outputChars, size, 'every byte came through the event stream');
    assert.equal(statSync(ran.job('flood').logFile!).size, size + systemBytes, 'the log file holds every byte');
    const kept = ran.handle.output(ran.job('flood').id);
    assert.ok(kept.length < 1_100_000, `kept ${kept.length} characters in memory`);
    assert.match(kept, /output truncated: .* not kept in memory; the full log is in/);
    const rssGrowth = (peakRss - before.rss) / 1_048_576;
    const retainedMiB = retained / 1_048_576;
    console.log(`      200 MB job: peak RSS +${rssGrowth.toFixed(0)} MiB, memory retained at most ${retainedMiB.toFixed(1)} MiB`);
    // Keeping the output would retain about 200 MiB (400 as UTF-16 strings).
    assert.ok(retainedMiB < 48, `memory retained grew by ${retainedMiB.toFixed(0)} MiB while 200 MB went through`);
    assert.ok(rssGrowth < 160, `RSS grew by ${rssGrowth.toFixed(0)} MiB while 200 MB went through`);
  });
});
