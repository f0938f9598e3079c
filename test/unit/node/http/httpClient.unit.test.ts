import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as https from 'node:https';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OpsloopError } from '../../../../src/core/errors';
import { HttpClient, HttpError, buildUrl } from '../../../../src/node/http/httpClient';
import { backoffDelayMs, defaultRetryPolicy, parseRetryAfter } from '../../../../src/node/http/retryPolicy';
import { sendJson, startServer } from '../../../servers/testServer';
import { startFaultInjector } from '../../../servers/faultInjector';

/** A client whose waits are recorded and skipped, so retry tests run in milliseconds. */
function fastClient(options: ConstructorParameters<typeof HttpClient>[0] = {}): { client: HttpClient; waits: number[] } {
  const waits: number[] = [];
  const client = new HttpClient({
    random: () => 0.5,
    sleep: async (ms, signal) => {
      waits.push(ms);
      if (signal?.aborted) throw new OpsloopError('cancelled', 'Cancelled.');
    },
    ...options,
  });
  return { client, waits };
}

async function rejects(promise: Promise<unknown>): Promise<HttpError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof HttpError, `expected an HttpError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the request to fail');
}

describe('HttpClient (real local servers)', function () {
  this.timeout(20_000);
  const servers: { close(): Promise<void> }[] = [];
  const track = <T extends { close(): Promise<void> }>(s: T): T => {
    servers.push(s);
    return s;
  };
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  it('sends query parameters (repeated keys for arrays) and returns the body', async () => {
    const server = track(await startServer((_req, res) => sendJson(res, 200, { ok: true })));
    const { client } = fastClient();
    const r = await client.request({ what: 'test', url: `${server.url}/api/v1/series`, query: { 'match[]': ['up', 'app_build_info'], start: 10 } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), { ok: true });
    assert.equal(server.seen[0]!.url, '/api/v1/series?match%5B%5D=up&match%5B%5D=app_build_info&start=10');
    assert.equal(buildUrl('http://h/a?x=1', { y: 'a b' }), 'http://h/a?x=1&y=a+b');
  });

  it('gives up after the timeout with a timeout error and does not retry it', async () => {
    const server = track(await startServer((_req, res) => void setTimeout(() => sendJson(res, 200, {}), 1500)));
    const { client } = fastClient();
    const started = Date.now();
    const error = await rejects(client.request({ what: 'slow', url: server.url, timeoutMs: 150 }));
    assert.equal(error.kind, 'timeout');
    assert.match(error.message, /slow: no complete answer within 0\.1 s|slow: no complete answer within 0\.2 s|within 0\.15/);
    assert.ok(Date.now() - started < 1200, 'returned before the server answered');
    assert.equal(server.seen.length, 1);
  });

  it('the timeout also covers a body that trickles in', async () => {
    const server = track(
      await startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write('{"a":');
        const t = setInterval(() => res.write(' '), 20);
        res.on('close', () => clearInterval(t));
      }),
    );
    const { client } = fastClient();
    const error = await rejects(client.request({ what: 'trickle', url: server.url, timeoutMs: 200 }));
    assert.equal(error.kind, 'timeout');
  });

  it("stops on the person's cancel, during the request and during a retry wait", async () => {
    const server = track(await startServer((_req, res) => void setTimeout(() => sendJson(res, 200, {}), 2000)));
    const client = new HttpClient();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await rejects(client.request({ what: 'x', url: server.url, signal: controller.signal }));
    assert.equal(error.kind, 'cancelled');

    const busy = track(await startServer((_req, res) => sendJson(res, 503, {}, { 'Retry-After': '20' })));
    const c2 = new HttpClient();
    const cancel = new AbortController();
    setTimeout(() => cancel.abort(), 100);
    const started = Date.now();
    const e2 = await rejects(c2.request({ what: 'busy', url: busy.url, signal: cancel.signal }));
    assert.equal(e2.kind, 'cancelled');
    assert.ok(Date.now() - started < 2000, 'the wait for Retry-After ended on cancel');
    assert.equal(busy.seen.length, 1);
  });

  it('retries 503 and 429 with full-jitter backoff, honouring Retry-After (seconds and HTTP-date)', async () => {
    let n = 0;
    const server = track(
      await startServer((_req, res) => {
        n++;
        if (n === 1) return sendJson(res, 503, { error: 'busy' });
        if (n === 2) return sendJson(res, 429, { error: 'slow down' }, { 'Retry-After': '2' });
        if (n === 3) return sendJson(res, 429, {}, { 'Retry-After': new Date(Date.now() + 3000).toUTCString() });
        return sendJson(res, 200, { done: n });
      }),
    );
    const { client, waits } = fastClient();
    const r = await client.request({ what: 'x', url: server.url });
    assert.equal(r.attempts, 4);
    assert.equal(JSON.parse(r.text).done, 4);
    assert.equal(waits.length, 3);
    assert.equal(waits[0], backoffDelayMs(0, defaultRetryPolicy, () => 0.5));
    assert.ok(waits[1]! >= 2000, `waited ${waits[1]} ms for Retry-After: 2`);
    assert.ok(waits[2]! >= 1000 && waits[2]! <= 3100, `waited ${waits[2]} ms for an HTTP-date 3 s ahead`);
    assert.equal(client.stats.retries, 3);
  });

  it('fails with a clear message after the last retry, and refuses to wait out a very long Retry-After', async () => {
    const server = track(await startServer((_req, res) => sendJson(res, 503, { error: 'down' })));
    const { client, waits } = fastClient();
    const error = await rejects(client.request({ what: 'Prometheus', url: server.url }));
    assert.equal(error.kind, 'server');
    assert.equal(error.status, 503);
    assert.match(error.message, /after 4 attempts/);
    assert.equal(waits.length, 3);
    assert.equal(server.seen.length, 4);

    const storm = track(await startServer((_req, res) => sendJson(res, 429, {}, { 'Retry-After': '3600' })));
    const { client: c2, waits: w2 } = fastClient();
    const e2 = await rejects(c2.request({ what: 'x', url: storm.url }));
    assert.match(e2.message, /asked to wait 3600 s/);
    assert.equal(w2.length, 0);
    assert.equal(e2.nextStep, 'Try again later');
  });

  it('never retries a request that is not idempotent; retries a read-only POST marked idempotent', async () => {
    const server = track(await startServer((_req, res) => sendJson(res, 503, {})));
    const { client } = fastClient();
    await rejects(client.request({ what: 'x', url: server.url, method: 'POST', form: { a: 1 } }));
    assert.equal(server.seen.length, 1);
    await rejects(client.request({ what: 'x', url: server.url, method: 'POST', form: { query: 'up' }, idempotent: true }));
    assert.equal(server.seen.length, 1 + 4);
    assert.equal(server.seen[1]!.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.equal(server.seen[1]!.body, 'query=up');
  });

  it('retries connection resets and bodies cut off mid-way, then succeeds', async () => {
    const upstream = track(await startServer((_req, res) => sendJson(res, 200, { value: 'x'.repeat(2000) })));
    let i = 0;
    const injector = track(await startFaultInjector(upstream.url, () => (i++ === 0 ? { kind: 'reset' } : i === 2 ? { kind: 'truncate', fraction: 0.4 } : { kind: 'pass' })));
    const { client } = fastClient();
    const r = await client.request({ what: 'x', url: injector.url });
    assert.equal(r.attempts, 3);
    assert.equal(JSON.parse(r.text).value.length, 2000);
    assert.deepEqual({ ...injector.faults }, { reset: 1, truncate: 1 });
  });

  it('a body that is always cut off ends in a network error saying so', async () => {
    const upstream = track(await startServer((_req, res) => sendJson(res, 200, { value: 'y'.repeat(5000) })));
    const injector = track(await startFaultInjector(upstream.url, () => ({ kind: 'truncate', fraction: 0.5 })));
    const { client } = fastClient();
    const error = await rejects(client.request({ what: 'x', url: injector.url }));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /broke while reading|closed before/);
  });

  it('refuses a body over the cap: by Content-Length before reading, by counting when streamed', async () => {
    const declared = track(await startServer((_req, res) => sendJson(res, 200, 'z'.repeat(200_000))));
    const { client } = fastClient();
    const e1 = await rejects(client.request({ what: 'big', url: declared.url, maxBytes: 100_000 }));
    assert.equal(e1.kind, 'tooLarge');
    assert.match(e1.message, /over the 98 KB limit/);

    const upstream = track(await startServer((_req, res) => sendJson(res, 200, {})));
    const injector = track(await startFaultInjector(upstream.url, () => ({ kind: 'oversize', bytes: 500 * 1024 * 1024 })));
    const started = Date.now();
    const e2 = await rejects(client.request({ what: 'huge', url: injector.url, maxBytes: 2 * 1024 * 1024 }));
    assert.equal(e2.kind, 'tooLarge');
    assert.match(e2.message, /went past the 2\.0 MB limit; Opsloop stopped reading/);
    assert.ok(client.stats.bytes < 3 * 1024 * 1024, 'stopped reading near the cap');
    assert.ok(Date.now() - started < 5000, 'did not read the 500 MB');
  });

  it('streams the body to a consumer, and gives a retry a fresh consumer', async () => {
    const upstream = track(
      await startServer((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        let k = 0;
        const t = setInterval(() => {
          res.write(`{"line":${k}}\n`);
          if (++k === 5) {
            clearInterval(t);
            res.end();
          }
        }, 5);
      }),
    );
    let i = 0;
    const injector = track(await startFaultInjector(upstream.url, () => (i++ === 0 ? { kind: 'truncate', fraction: 0.5 } : { kind: 'pass' })));
    const { client } = fastClient();
    const consumers: string[][] = [];
    const r = await client.request({
      what: 'stream',
      url: injector.url,
      stream: () => {
        const got: string[] = [];
        consumers.push(got);
        return (chunk) => got.push(chunk);
      },
    });
    assert.equal(r.text, '');
    assert.equal(consumers.length, 2);
    assert.equal(consumers[1]!.join(''), [0, 1, 2, 3, 4].map((k) => `{"line":${k}}\n`).join(''));
  });

  it('sends credentials only to their origin: a cross-origin redirect arrives without them', async () => {
    const other = track(await startServer((_req, res) => sendJson(res, 200, { from: 'other' })));
    const home = track(
      await startServer((req, res) => {
        if (req.url === '/same') return void res.writeHead(302, { Location: '/final' }).end();
        if (req.url === '/final') return sendJson(res, 200, { from: 'home' });
        res.writeHead(307, { Location: `${other.url}/stolen` });
        res.end();
      }),
    );
    const { client } = fastClient();
    const credentials = { origin: home.origin, headers: { Authorization: 'Bearer secret-1', 'DD-API-KEY': 'secret-2' } };
    const same = await client.request({ what: 'x', url: `${home.url}/same`, credentials });
    assert.equal(JSON.parse(same.text).from, 'home');
    assert.equal(home.seen[1]!.headers.authorization, 'Bearer secret-1', 'same-origin redirect keeps the token');
    const cross = await client.request({ what: 'x', url: `${home.url}/away`, credentials });
    assert.equal(JSON.parse(cross.text).from, 'other');
    assert.equal(cross.redirected, true);
    assert.equal(other.seen.length, 1);
    assert.equal(other.seen[0]!.headers.authorization, undefined);
    assert.equal(other.seen[0]!.headers['dd-api-key'], undefined);
    // Credentials bound to another origin are never attached, even on the first request.
    await client.request({ what: 'x', url: `${other.url}/direct`, credentials });
    assert.equal(other.seen[1]!.headers.authorization, undefined);
  });

  it('a 401 after a cross-origin redirect says the token was not sent there', async () => {
    const other = track(await startServer((_req, res) => sendJson(res, 401, {})));
    const home = track(await startServer((_req, res) => void res.writeHead(308, { Location: `${other.url}/x` }).end()));
    const { client } = fastClient();
    const error = await rejects(client.request({ what: 'Prometheus', url: home.url, credentials: { origin: home.origin, headers: { Authorization: 'Bearer t' } } }));
    assert.equal(error.kind, 'unauthorized');
    assert.match(error.message, /does not send a token to another origin/);
  });

  it('turns 401, 403, 404, 400 into typed errors with the server message and a next step', async () => {
    const server = track(
      await startServer((req, res) => {
        const status = Number(req.url!.slice(1));
        sendJson(res, status, { status: 'error', errorType: 'bad_data', error: `said ${status}` });
      }),
    );
    const { client } = fastClient();
    const errorMessage = (body: string): string | undefined => (JSON.parse(body) as { error?: string }).error;
    const e401 = await rejects(client.request({ what: 'Prometheus prod', url: `${server.url}/401`, errorMessage }));
    assert.equal(e401.kind, 'unauthorized');
    assert.equal(e401.nextStep, 'Set Token');
    assert.match(e401.message, /401 Unauthorized: said 401\. The token for http:\/\/127\.0\.0\.1:\d+ is missing/);
    const e403 = await rejects(client.request({ what: 'x', url: `${server.url}/403`, errorMessage }));
    assert.equal(e403.kind, 'forbidden');
    assert.equal(e403.nextStep, 'Set Token');
    assert.equal((await rejects(client.request({ what: 'x', url: `${server.url}/404` }))).kind, 'notFound');
    const e400 = await rejects(client.request({ what: 'x', url: `${server.url}/400`, errorMessage }));
    assert.equal(e400.kind, 'invalidInput');
    assert.match(e400.message, /said 400/);
    assert.equal(server.seen.length, 4, '4xx are not retried');
  });

  it('retries a refused connection a few times, then says it could not reach the server', async () => {
    const port = await freePort();
    const { client, waits } = fastClient();
    const error = await rejects(client.request({ what: 'Prometheus', url: `http://127.0.0.1:${port}/` }));
    assert.equal(error.kind, 'network');
    assert.match(error.message, /could not reach http:\/\/127\.0\.0\.1:\d+ \(connect ECONNREFUSED.*\(after 4 attempts\)\.$/);
    assert.equal(waits.length, 3);
  });

  it('follows 303 as GET and stops redirect loops', async () => {
    const server = track(
      await startServer((req, res) => {
        if (req.url === '/post') return void res.writeHead(303, { Location: '/result' }).end();
        if (req.url === '/result') return sendJson(res, 200, { method: req.method });
        res.writeHead(302, { Location: '/loop' });
        res.end();
      }),
    );
    const { client } = fastClient();
    const r = await client.request({ what: 'x', url: `${server.url}/post`, method: 'POST', form: { a: 1 } });
    assert.equal(JSON.parse(r.text).method, 'GET');
    const e = await rejects(client.request({ what: 'x', url: `${server.url}/loop` }));
    assert.match(e.message, /more than 5 redirects/);
  });

  it('uses HTTP_PROXY in environment mode (the CLI) and leaves proxies to the host otherwise', async () => {
    const target = track(await startServer((_req, res) => sendJson(res, 200, { direct: true })));
    const proxied: string[] = [];
    const proxy = track(
      await startServer((req, res) => {
        proxied.push(req.url!);
        sendJson(res, 200, { viaProxy: true });
      }),
    );
    const saved = { HTTP_PROXY: process.env.HTTP_PROXY, http_proxy: process.env.http_proxy, NO_PROXY: process.env.NO_PROXY, no_proxy: process.env.no_proxy };
    process.env.HTTP_PROXY = proxy.url;
    process.env.http_proxy = proxy.url;
    delete process.env.NO_PROXY;
    delete process.env.no_proxy;
    try {
      const viaEnv = await new HttpClient({ proxy: 'environment' }).request({ what: 'x', url: `${target.url}/metrics` });
      assert.deepEqual(JSON.parse(viaEnv.text), { viaProxy: true });
      assert.equal(proxied[0], `${target.url}/metrics`, 'the proxy received the absolute URL');
      const viaHost = await new HttpClient({ proxy: 'host' }).request({ what: 'x', url: `${target.url}/metrics` });
      assert.deepEqual(JSON.parse(viaHost.text), { direct: true });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('keeps TLS verification on: a self-signed certificate is refused with an explanation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'opsloop-tls-'));
    try {
      try {
        execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      } catch (error) {
        assert.fail(`this test needs openssl to make a self-signed certificate (apt-get install openssl): ${String(error)}`);
      }
      const server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => sendJson(res, 200, { secret: true }));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      track({ close: () => new Promise<void>((r) => server.close(() => r())) });
      const port = (server.address() as net.AddressInfo).port;
      const { client, waits } = fastClient();
      const error = await rejects(client.request({ what: 'Prometheus', url: `https://127.0.0.1:${port}/` }));
      assert.equal(error.kind, 'network');
      assert.match(error.message, /TLS certificate of https:\/\/127\.0\.0\.1:\d+ was not accepted .*never turns certificate checks off/);
      assert.equal(waits.length, 0, 'a certificate problem is not retried');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses Retry-After as seconds or an HTTP-date', () => {
    assert.equal(parseRetryAfter('120', 0), 120_000);
    assert.equal(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.UTC(2015, 9, 21, 7, 27, 0)), 60_000);
    assert.equal(parseRetryAfter('soon', 0), undefined);
    assert.equal(parseRetryAfter(undefined, 0), undefined);
    for (let attempt = 0; attempt < 8; attempt++) {
      const d = backoffDelayMs(attempt, defaultRetryPolicy, () => 0.999);
      assert.ok(d < Math.min(defaultRetryPolicy.maxDelayMs, defaultRetryPolicy.baseDelayMs * 2 ** attempt));
      assert.equal(backoffDelayMs(attempt, defaultRetryPolicy, () => 0), 0);
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}


