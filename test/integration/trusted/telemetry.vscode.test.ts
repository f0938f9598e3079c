import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { OpsloopError } from '../../../src/core/errors';
import { parseOpsloopConfig } from '../../../src/core/config/validateConfig';
import { CommandId } from '../../../src/extension/commandIds';
import { getConfigStore } from '../../../src/extension/telemetry/configStore';
import { getTelemetryService } from '../../../src/extension/telemetry/telemetryService';
import type { TelemetryPrompts } from '../../../src/extension/telemetry/tokenStore';
import { decodeStored, encodeStored, secretKey } from '../../../src/node/telemetry/tokenPolicy';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

interface FakePrometheus {
  readonly url: string;
  readonly origin: string;
  readonly authorizations: (string | undefined)[];
  close(): Promise<void>;
}

/** A tiny Prometheus API inside the extension host: answers query_range, remembers the Authorization it saw. */
async function fakePrometheus(): Promise<FakePrometheus> {
  const authorizations: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    authorizations.push(req.headers.authorization);
    const body = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'up', job: 'x' }, values: [[1700000000, '1'], [1700000015, '1']] }] } });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url: origin, origin, authorizations, close: () => new Promise<void>((r) => server.close(() => r())) };
}

describe('Telemetry in VS Code', () => {
  let original: string;
  let file: string;
  const servers: FakePrometheus[] = [];
  const questions: string[] = [];
  let answer = true;
  let secret = 'tok-123';
  const prompts: TelemetryPrompts = {
    pickSource: async (sources) => sources.find((s) => s.name === 'local'),
    confirmOrigin: async (q) => {
      questions.push(`${q.message} ${q.detail}`);
      return answer;
    },
    inputSecret: async () => secret,
  };

  before(async () => {
    await activateOpsloop();
    file = join(workspaceRoot(), '.opsloop.yml');
    original = readFileSync(file, 'utf8');
  });

  after(async () => {
    writeFileSync(file, original);
    await Promise.all(servers.map((s) => s.close()));
  });

  async function withSources(extra: string): Promise<void> {
    const text = original.replace(/(telemetry:\n {2}sources:\n)/, `$1${extra}`);
    assert.notEqual(text, original, 'the demo .opsloop.yml has a telemetry.sources list to add to');
    writeFileSync(file, text);
    const api = await activateOpsloop();
    const wanted = [...extra.matchAll(/name: (\w+)/g)].map((m) => m[1]!);
    await waitFor('the watcher to read the new sources', async () => {
      const names = (await getTelemetryService(api.container).config()).sources.map((s) => s.name);
      return wanted.every((w) => names.includes(w)) ? true : undefined;
    });
  }

  it('answers the demo\'s configured queries and finds its deployments from the recorded telemetry', async () => {
    const api = await activateOpsloop();
    const service = getTelemetryService(api.container);
    const { config } = parseOpsloopConfig(original);
    const range = { start: 1_794_000_000, end: 1_796_000_000 };
    const outcomes = await service.queryConfigured(range);
    assert.deepEqual(outcomes.map((o) => o.query.name), config.queries.map((q) => q.name));
    for (const o of outcomes) {
      assert.equal(o.failure, undefined, JSON.stringify(o.failure));
      assert.ok(o.result!.series.length > 0 && o.result!.series[0]!.times.length > 100, o.query.name);
    }
    const deployments = await service.deployments(range);
    assert.deepEqual(deployments.failures, []);
    assert.ok(deployments.deployments.length >= 1);
    assert.ok(deployments.deployments.every((d) => d.source === 'buildInfo' && d.service === 'checkout' && /^[0-9a-f]{40}$/.test(d.revision)));
    const logs = await service.logs(range);
    assert.ok(logs.records.length > 0);
  });

  it('Set Token shows the URL, asks once, and stores the token in SecretStorage under its origin', async () => {
    const api = await activateOpsloop();
    const service = getTelemetryService(api.container);
    service.setPromptsForTest(prompts);
    const local = await fakePrometheus();
    const other = await fakePrometheus();
    servers.push(local, other);
    await withSources(`    - { name: local, kind: prometheus, url: "${local.url}" }\n    - { name: other, kind: prometheus, url: "${other.url}" }\n`);

    answer = true;
    secret = 'tok-123';
    await vscode.commands.executeCommand(CommandId.setToken, 'local');
    assert.equal(questions.length, 1);
    assert.match(questions[0]!, new RegExp(`Send your prometheus token to ${local.origin.replace(/[.]/g, '\\.')}\\?.*source 'local'`));
    const stored = decodeStored(await api.container.context.secrets.get(secretKey(local.origin)));
    assert.deepEqual(stored, { token: 'tok-123' });
    assert.equal(await api.container.context.secrets.get(secretKey(other.origin)), undefined);

    const range = { start: 1_700_000_000, end: 1_700_000_060, step: 15 };
    const r = await service.query('local', 'up', range);
    assert.deepEqual([...r.series[0]!.values], [1, 1]);
    assert.deepEqual(local.authorizations, ['Bearer tok-123']);
    // Another origin gets no token, and nobody is asked again for the confirmed one.
    await service.query('other', 'up', range);
    assert.deepEqual(other.authorizations, [undefined]);
    await service.query('local', 'up', range);
    assert.equal(questions.length, 1);
  });

  it('sends nothing when the person does not allow a token to go to a new origin', async () => {
    const api = await activateOpsloop();
    const service = getTelemetryService(api.container);
    service.setPromptsForTest(prompts);
    const fresh = await fakePrometheus();
    servers.push(fresh);
    await withSources(`    - { name: fresh, kind: prometheus, url: "${fresh.url}" }\n`);
    // A token for that origin exists (stored earlier), but the origin was never allowed here.
    await api.container.context.secrets.store(secretKey(fresh.origin), encodeStored({ token: 'earlier' }));
    answer = false;
    const asked = questions.length;
    const error = await service.query('fresh', 'up', { start: 1_700_000_000, end: 1_700_000_060, step: 15 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(OpsloopError.is(error, 'untrusted'), String(error));
    assert.equal(questions.length, asked + 1);
    assert.deepEqual(fresh.authorizations, [], 'no request was made');
    answer = true;
  });

  it('shows the problems of a broken .opsloop.yml in the Problems panel, on their lines', async () => {
    const api = await activateOpsloop();
    const broken = original.replace('kind: file', 'kind: fiel');
    writeFileSync(file, broken);
    const uri = vscode.Uri.file(file);
    const lines = broken.split('\n');
    const kindLine = lines.findIndex((l) => l.includes('kind: fiel'));
    const diagnostics = await waitFor('diagnostics of the broken .opsloop.yml', () => {
      const list = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'opsloop');
      return list.some((d) => /not a valid kind/.test(d.message)) ? list : undefined;
    });
    const kind = diagnostics.find((d) => /'fiel' is not a valid kind: did you mean 'file'\?/.test(d.message))!;
    assert.ok(kind, diagnostics.map((d) => d.message).join('\n'));
    assert.equal(kind.range.start.line, kindLine);
    assert.equal(kind.severity, vscode.DiagnosticSeverity.Error);
    assert.ok(getConfigStore(api.container).problems().length > 0);
    writeFileSync(file, original);
    await waitFor('the problems to clear after the fix', () => (vscode.languages.getDiagnostics(uri).some((d) => d.source === 'opsloop' && d.severity === vscode.DiagnosticSeverity.Error) ? undefined : true));
  });
});
