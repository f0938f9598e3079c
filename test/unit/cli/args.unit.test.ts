import * as assert from 'node:assert/strict';
import { parseArgs } from '../../../src/cli/args';
import { OpsloopError } from '../../../src/core/errors';

describe('parseArgs', () => {
  const spec = { file: { type: 'string', multiple: true, short: 'f' }, json: { type: 'boolean' }, stage: { type: 'string' } } as const;

  it('collects repeated options, flags, inline values and positionals', () => {
    const parsed = parseArgs(['--file', 'a.yml', '-f', 'b.yml', '--json', '--stage=test', 'extra'], spec);
    assert.deepEqual(parsed.options, { file: ['a.yml', 'b.yml'], json: true, stage: 'test' });
    assert.deepEqual(parsed.positionals, ['extra']);
  });

  it('treats everything after -- as positionals', () => {
    assert.deepEqual(parseArgs(['--', '--json'], spec).positionals, ['--json']);
  });

  for (const [args, message] of [
    [['--nope'], /Unknown option --nope/],
    [['-x'], /Unknown option -x/],
    [['--stage'], /--stage needs a value/],
    [['--json=yes'], /--json takes no value/],
  ] as const) {
    it(`rejects ${args.join(' ')} with a usage error`, () => {
      assert.throws(() => parseArgs(args, spec), (e: unknown) => OpsloopError.is(e, 'invalidInput') && message.test(e.message));
    });
  }
});
