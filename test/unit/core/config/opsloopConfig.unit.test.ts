import * as assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { loadDocument } from '../../../../src/core/config/configDocument';
import { deploymentKinds, fileFormatOf, fileFormats, logKinds, sourceKinds } from '../../../../src/core/config/opsloopConfig';
import { parseOpsloopConfig } from '../../../../src/core/config/validateConfig';
import { repoRoot } from '../../../support/paths';

const issueExample = `services:
  - name: checkout
    paths: ["services/checkout/**"]        # code that belongs to the service
telemetry:
  sources:
    - { name: prod, kind: prometheus, url: "https://prom.example:9090" }
    - { name: recorded, kind: file, path: "telemetry/checkout.om" }
  queries:
    - { service: checkout, source: prod, name: p99 latency,
        query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{service="checkout"}[5m])))' }
deployments:
  - { kind: buildInfo, source: prod, query: 'app_build_info{service="checkout"}' }
  - { kind: pipeline }                      # deploy jobs of local and remote runs
  - { kind: gitTags, pattern: "deploy-*" }
logs:
  - { source: recorded, kind: file, path: "telemetry/checkout.log.jsonl" }
`;

const at = (text: string, needle: string): number => text.slice(0, text.indexOf(needle)).split('\n').length;

describe('.opsloop.yml', () => {
  it('reads the shape of the issue without a diagnostic', () => {
    const { config, diagnostics } = parseOpsloopConfig(issueExample);
    assert.deepEqual(diagnostics, []);
    assert.deepEqual(config.services, [{ name: 'checkout', paths: ['services/checkout/**'] }]);
    assert.deepEqual(config.sources, [
      { name: 'prod', kind: 'prometheus', url: 'https://prom.example:9090' },
      { name: 'recorded', kind: 'file', path: 'telemetry/checkout.om' },
    ]);
    assert.equal(config.queries[0]!.name, 'p99 latency');
    assert.equal(config.queries[0]!.service, 'checkout');
    assert.deepEqual(config.deployments.map((d) => d.kind), ['buildInfo', 'pipeline', 'gitTags']);
    assert.deepEqual(config.logs, [{ kind: 'file', source: 'recorded', path: 'telemetry/checkout.log.jsonl' }]);
  });

  it('reads the demo workspace file with no errors', () => {
    const file = join(repoRoot, 'demo', '.opsloop.yml');
    assert.ok(existsSync(file), 'demo/.opsloop.yml is missing (the lead writes it)');
    const { config, diagnostics } = parseOpsloopConfig(readFileSync(file, 'utf8'), file);
    assert.deepEqual(diagnostics.filter((d) => d.severity === 'error'), []);
    assert.ok(config.sources.length > 0);
  });

  it('puts each problem on its line, keeps the valid entries, and suggests the name meant', () => {
    const text = `services:
  - name: checkout
telemetry:
  sources:
    - { name: prod, kind: promethus, url: "https://p" }
    - name: ok
      kind: prometheus
      url: "https://prom:9090/"
      headers: { Authorization: "Bearer x", X-Scope-OrgID: team-a }
    - { name: ok, kind: file, path: a.om }
    - { name: creds, kind: dynatrace, url: "https://user:pw@abc.live.dynatrace.com" }
    - { name: plain, kind: splunk, url: "http://splunk.internal:8089" }
    - { name: f, kind: file, path: "../../etc/metrics.om" }
  queries:
    - { name: q1, source: ok, query: up, step: 30s }
    - { name: q2, source: missing, query: up }
    - { name: q3, source: ok, query: up, step: soon }
    - { name: q4, source: ok, query: up, service: nope }
  extra: 1
deployments:
  - { kind: buildInfo, source: ok }
  - { kind: gittags, pattern: x }
logs:
  - { kind: splunk, source: ok, query: "search x" }
`;
    const { config, diagnostics } = parseOpsloopConfig(text);
    const found = diagnostics.map((d) => [d.severity, d.range.line, d.message]);
    const expect = (needle: string, severity: string, message: RegExp): void => {
      const line = at(text, needle);
      assert.ok(
        found.some(([s, l, m]) => s === severity && l === line && message.test(m as string)),
        `expected ${severity} on line ${line} matching ${message}; got:\n${found.map((f) => f.join(' ')).join('\n')}`,
      );
    };
    expect('kind: promethus', 'error', /'promethus' is not a valid kind: did you mean 'prometheus'\?/);
    expect('Authorization', 'error', /'Authorization' carries a credential/);
    expect('{ name: ok, kind: file', 'error', /already named 'ok'/);
    expect('user:pw@', 'error', /contains a user name or password/);
    expect('http://splunk.internal', 'warning', /travels unencrypted/);
    expect('../../etc', 'warning', /outside the workspace/);
    expect('source: missing', 'error', /No source is named 'missing' \(sources: ok, plain, f\)/);
    expect('step: soon', 'error', /'soon' is not a duration/);
    expect('service: nope', 'warning', /No service is named 'nope'/);
    expect('extra: 1', 'warning', /Unknown key 'extra'/);
    expect('{ kind: buildInfo, source: ok }', 'error', /Missing 'query'/);
    expect('kind: gittags', 'error', /did you mean 'gitTags'/);
    expect('kind: splunk, source: ok', 'error', /'ok' is not a splunk source/);
    // The valid ones survive.
    assert.deepEqual(config.sources.map((s) => s.name), ['ok', 'plain', 'f']);
    assert.deepEqual((config.sources[0] as { headers?: unknown }).headers, { 'X-Scope-OrgID': 'team-a' });
    assert.equal((config.sources[0] as { url: string }).url, 'https://prom:9090');
    // A bad step is reported and left out; the query itself is still usable.
    assert.deepEqual(config.queries.map((q) => [q.name, q.stepSeconds]), [
      ['q1', 30],
      ['q3', undefined],
      ['q4', undefined],
    ]);
  });

  it('reports YAML syntax errors and duplicate keys with their line, and limits size', () => {
    const broken = parseOpsloopConfig('telemetry:\n  sources:\n    - { name: x, kind: file\n');
    const syntax = broken.diagnostics.find((d) => d.severity === 'error')!;
    assert.match(syntax.message, /end of the stream within a flow collection/);
    assert.ok(syntax.range.line >= 3);
    const dup = parseOpsloopConfig('services: []\nservices: []\n');
    assert.match(dup.diagnostics[0]!.message, /Duplicate key "services" \(first at line 1\)/);
    assert.equal(dup.diagnostics[0]!.range.line, 2);
    const big = parseOpsloopConfig(`# ${'x'.repeat(1_100_000)}\n`);
    assert.match(big.diagnostics[0]!.message, /larger than/);
    assert.equal(parseOpsloopConfig('').diagnostics[0]!.severity, 'info');
  });

  it('supports anchors and merge keys, and JSON', () => {
    const yaml = `x-prom: &prom { kind: prometheus, url: "https://p:9090" }
telemetry:
  sources:
    - { <<: *prom, name: a }
    - { <<: *prom, name: b }
`;
    const r = parseOpsloopConfig(yaml);
    assert.deepEqual(r.config.sources.map((s) => s.name), ['a', 'b']);
    assert.match(r.diagnostics[0]!.message, /Unknown key 'x-prom'/);
    const json = parseOpsloopConfig(JSON.stringify({ telemetry: { sources: [{ name: 'f', kind: 'file', path: 'a.csv' }] } }), '.opsloop.json');
    assert.deepEqual(json.diagnostics, []);
    assert.equal(fileFormatOf(json.config.sources[0] as never), 'csv');
  });

  it('an alias bomb does not grow the work (reliability item 9)', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++) lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${new Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    lines.push('services: *i');
    const started = Date.now();
    const r = parseOpsloopConfig(lines.join('\n'));
    assert.ok(Date.now() - started < 2000);
    assert.ok(r.diagnostics.some((d) => d.severity === 'error'));
  });

  it('never throws on mutated input; every diagnostic has a position in the file (fuzz)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(issueExample.length), fc.constantFrom('', ':', '-', '{', '}', '"', "'", '\n', ' ', '#', 'x', '&a', '*a', '[', ']')), { maxLength: 6 }), (edits) => {
        let text = issueExample;
        for (const [p, s] of edits) text = text.slice(0, p % text.length) + s + text.slice((p % text.length) + 1);
        const lines = text.split('\n').length;
        const r = parseOpsloopConfig(text);
        for (const d of r.diagnostics) assert.ok(d.range.line >= 1 && d.range.line <= lines + 1, `${d.message} at ${d.range.line}`);
      }),
      { numRuns: 500 },
    );
  });

  it('locates keys and values of nested paths', () => {
    const doc = loadDocument(issueExample, '.opsloop.yml');
    assert.equal(doc.rangeOf(['telemetry', 'sources', 1, 'path'])!.line, at(issueExample, 'telemetry/checkout.om'));
    assert.equal(doc.rangeOf(['deployments', 2, 'pattern'])!.line, at(issueExample, 'deploy-*'));
    assert.equal(doc.rangeOf(['telemetry'], 'key')!.line, at(issueExample, 'telemetry:'));
    assert.equal(doc.rangeOf(['telemetry', 'queries', 0, 'query'])!.line, at(issueExample, "query: 'histogram"));
  });

  it('the JSON schema accepts what the validator accepts and names the same kinds', async () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'schemas', 'opsloop.schema.json'), 'utf8'));
    assert.deepEqual(schema.definitions.source.properties.kind.enum, [...sourceKinds]);
    assert.deepEqual(schema.definitions.deployment.properties.kind.enum, [...deploymentKinds]);
    assert.deepEqual(schema.definitions.log.properties.kind.enum, [...logKinds]);
    assert.deepEqual(schema.definitions.source.properties.format.enum, [...fileFormats]);
    let Ajv: new (o: object) => { compile(s: object): ((v: unknown) => boolean) & { errors?: unknown } };
    try {
      Ajv = (await import('ajv')).default as never;
    } catch {
      assert.fail('this test needs the ajv devDependency (npm install)');
    }
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const good = parseOpsloopConfig(issueExample);
    const asData = loadDocument(issueExample, 'x').value;
    assert.equal(validate(asData), true, JSON.stringify(validate.errors));
    assert.equal(good.diagnostics.length, 0);
    for (const bad of [
      { telemetry: { sources: [{ name: 'x', kind: 'prometheus' }] } },
      { telemetry: { sources: [{ name: 'x', kind: 'file', url: 'https://x' }] } },
      { telemetry: { sources: [{ name: 'x', kind: 'prometheus', url: 'https://p', headers: { authorization: 'Bearer 1' } }] } },
      { deployments: [{ kind: 'gitTags' }] },
      { servces: [] },
    ]) {
      assert.equal(validate(bad), false, `schema accepted ${JSON.stringify(bad)}`);
      assert.ok(parseOpsloopConfig(JSON.stringify(bad)).diagnostics.length > 0, `validator accepted ${JSON.stringify(bad)}`);
    }
  });
});
