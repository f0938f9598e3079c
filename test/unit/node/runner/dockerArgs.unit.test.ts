import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { detectDockerEngine, dockerRunArgs, forgetDockerEngine } from '../../../../src/node/runner/docker';

describe('docker', () => {
  afterEach(forgetDockerEngine);

  it('builds docker run arguments that carry variable names only, never values', () => {
    const args = dockerRunArgs({
      image: 'node:20',
      name: 'opsloop-r-1',
      projectDir: '/w/p',
      workingDir: '/w/p/sub',
      scriptDir: '/tmp/s',
      scriptFile: '/tmp/s/1.sh',
      envNames: ['CI', 'SECRET_TOKEN'],
      bashArgs: ['--noprofile', '--norc', '-e', '-o', 'pipefail'],
    });
    assert.deepEqual(args.slice(0, 4), ['run', '--rm', '--init', '--name']);
    assert.ok(args.includes('-e') && args[args.indexOf('-e') + 1] === 'CI');
    assert.ok(args.includes('SECRET_TOKEN') && !args.some((a) => a.includes('SECRET_TOKEN=')));
    assert.equal(args[args.length - 1], '/tmp/s/1.sh');
    assert.equal(args[args.indexOf('-w') + 1], '/w/p/sub');
  });

  it('detects the engine by asking it: here the client exists (or not) and no server answers', async function () {
    this.timeout(20_000);
    const engine = await detectDockerEngine();
    let client = true;
    try {
      execFileSync('docker', ['--version'], { stdio: 'ignore' });
    } catch {
      client = false;
    }
    let server = false;
    try {
      server = execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() !== '';
    } catch {
      server = false;
    }
    assert.equal(engine.available, server, `detector said ${JSON.stringify(engine)}`);
    if (!server) assert.match(engine.detail, client ? /no Docker engine answered \(.+\)/ : /docker command was not found/);
  });
});
