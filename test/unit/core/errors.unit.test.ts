import * as assert from 'node:assert/strict';
import { OpsloopError } from '../../../src/core/errors';

describe('OpsloopError.is', () => {
  it('recognises its own errors by kind', () => {
    const error = new OpsloopError('timeout', 'slow', 'Try again');
    assert.ok(OpsloopError.is(error));
    assert.ok(OpsloopError.is(error, 'timeout'));
    assert.ok(!OpsloopError.is(error, 'network'));
  });

  it('recognises an OpsloopError made by another copy of the module (another bundle), and nothing else', () => {
    // What the table layer's bundle throws: same name and shape, a different class.
    class OpsloopErrorCopy extends Error {
      override readonly name = 'OpsloopError';
      constructor(readonly kind: string, message: string) {
        super(message);
      }
    }
    assert.ok(OpsloopError.is(new OpsloopErrorCopy('invalidInput', 'bad CSV'), 'invalidInput'));
    assert.ok(!OpsloopError.is(new Error('plain')));
    assert.ok(!OpsloopError.is({ name: 'OpsloopError', kind: 'timeout', message: 'not an Error' }));
    assert.ok(!OpsloopError.is(undefined));
  });
});
