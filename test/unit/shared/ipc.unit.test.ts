import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { graphRequests } from '../../../src/shared/graphProtocol';
import { maxFieldLength, parseMessage } from '../../../src/shared/ipc';

describe('parseMessage (webview → host validation)', () => {
  it('accepts exactly the declared messages', () => {
    assert.deepEqual(parseMessage(graphRequests, { type: 'ready' }), { type: 'ready' });
    assert.deepEqual(parseMessage(graphRequests, { type: 'runJob', jobId: 'a#b' }), { type: 'runJob', jobId: 'a#b' });
  });

  const refused: [string, unknown][] = [
    ['an unknown type', { type: 'runShell', command: 'rm -rf /' }],
    ['a missing field', { type: 'runJob' }],
    ['a field of the wrong type', { type: 'runJob', jobId: 42 }],
    ['an extra field', { type: 'runJob', jobId: 'x', env: 'A=1' }],
    ['an inherited type name', { type: 'toString' }],
    ['__proto__ as type', JSON.parse('{"type":"__proto__"}')],
    ['a huge string', { type: 'runJob', jobId: 'x'.repeat(maxFieldLength + 1) }],
    ['an array', [{ type: 'ready' }]],
    ['null', null],
    ['a string', 'ready'],
  ];
  for (const [what, message] of refused) {
    it(`refuses ${what}`, () => assert.equal(parseMessage(graphRequests, message), undefined));
  }

  it('never throws and accepts nothing off the list, whatever it is given', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const parsed = parseMessage(graphRequests, value);
        if (parsed !== undefined) assert.ok(Object.keys(graphRequests).includes(parsed.type));
      }),
      { numRuns: 2000 },
    );
  });
});
