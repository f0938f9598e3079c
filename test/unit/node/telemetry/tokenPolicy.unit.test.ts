import * as assert from 'node:assert/strict';
import { OpsloopError } from '../../../../src/core/errors';
import { checkAllowed, consentQuestion, decodeStored, encodeStored, originOf, secretKey, tokenProblem } from '../../../../src/node/telemetry/tokenPolicy';

describe('token policy', () => {
  const prom = { name: 'prod', kind: 'prometheus' as const, url: 'https://prom.example:9090/prefix' };
  const file = { name: 'rec', kind: 'file' as const, path: 'telemetry/x.om' };

  it('keys a secret by origin, so another origin never finds it', () => {
    assert.equal(originOf(prom), 'https://prom.example:9090');
    assert.equal(secretKey(originOf(prom)!), 'opsloop.telemetry.token/https://prom.example:9090');
    assert.notEqual(secretKey('https://prom.example:9090'), secretKey('https://prom.example:9091'));
    assert.notEqual(secretKey('https://prom.example:9090'), secretKey('http://prom.example:9090'));
    assert.equal(originOf(file), undefined);
  });

  it('refuses every request in Restricted Mode, allows files', () => {
    assert.throws(
      () => checkAllowed(prom, false),
      (e: unknown) => OpsloopError.is(e, 'untrusted') && e.nextStep === 'Manage Workspace Trust' && /sends no requests from a folder in Restricted Mode/.test(e.message),
    );
    checkAllowed(prom, true);
    checkAllowed(file, false);
  });

  it('asks with the URL shown, and warns about plain http', () => {
    const q = consentQuestion(prom, 'https://prom.example:9090');
    assert.equal(q.message, 'Send your prometheus token to https://prom.example:9090?');
    assert.match(q.detail, /names https:\/\/prom\.example:9090 as the URL of source 'prod'/);
    assert.doesNotMatch(q.detail, /unencrypted/);
    assert.match(consentQuestion(prom, 'http://prom.internal').detail, /travel unencrypted/);
    assert.doesNotMatch(consentQuestion(prom, 'http://127.0.0.1:9090').detail, /unencrypted/);
  });

  it('stores one or two keys per origin and reads only what it wrote', () => {
    assert.deepEqual(decodeStored(encodeStored({ token: 't' })), { token: 't' });
    assert.deepEqual(decodeStored(encodeStored({ token: 'k', applicationKey: 'a' })), { token: 'k', applicationKey: 'a' });
    for (const bad of [undefined, '', 'x', '{"token":""}', '{"token":5}']) assert.equal(decodeStored(bad), undefined);
  });

  it('refuses tokens an HTTP header cannot carry', () => {
    assert.equal(tokenProblem('dt0c01.ABC.def'), undefined);
    assert.match(tokenProblem(' abc')!, /space/);
    assert.match(tokenProblem('a\nb')!, /line break/);
    assert.match(tokenProblem('aé')!, /cannot carry/);
  });
});
