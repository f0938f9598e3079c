import * as assert from 'assert';
import { expandServer, layered, plainVariables, rawVariables, readVariables, resolveVariables, variableResolver } from '../../../../../src/core/pipeline/gitlab/variables';

describe('GitLab variables', () => {
  const lookup = (name: string): string | undefined => ({ A: 'alpha', B_2: 'beta', EMPTY: '' })[name];

  it('expands $VAR, ${VAR} and %VAR% where the GitLab server expands, unknown ones to nothing', () => {
    assert.strictEqual(expandServer('review/$A', lookup), 'review/alpha');
    assert.strictEqual(expandServer('${A}-${B_2}', lookup), 'alpha-beta');
    assert.strictEqual(expandServer('%A%/x', lookup), 'alpha/x');
    assert.strictEqual(expandServer('$UNKNOWN/x', lookup), '/x');
    assert.strictEqual(expandServer('$A$B_2', lookup), 'alphabeta');
    assert.strictEqual(expandServer('cost: 5$ or 10%', lookup), 'cost: 5$ or 10%', 'a lone $ or % stays');
    assert.strictEqual(expandServer('$1 ${} ${A %A', lookup), '$1 ${} ${A %A', 'not names: left as written');
    assert.strictEqual(expandServer('plain', lookup), 'plain');
  });

  it('reads values, mappings with value/expand, nulls, and reports what is not a scalar', () => {
    const problems: { key: string; message: string }[] = [];
    const vars = readVariables({ S: 'x', N: 3, B: true, M: { value: '$S', expand: false, description: 'd' }, Z: null, BAD: [1], BADV: { value: { a: 1 } } }, problems);
    assert.deepStrictEqual([...vars.entries()].map(([k, v]) => [k, v.value, v.expand]), [
      ['S', 'x', true],
      ['N', '3', true],
      ['B', 'true', true],
      ['M', '$S', false],
      ['Z', '', true],
    ]);
    assert.deepStrictEqual(problems.map((p) => p.key), ['BAD', 'BADV']);
    const notMap: { key: string; message: string }[] = [];
    assert.strictEqual(readVariables(['x'], notMap).size, 0);
    assert.strictEqual(notMap.length, 1);
  });

  it('resolves nested references recursively, keeps unknown ones and cycles as text, turns $$ into $', () => {
    const vars = readVariables({ BASE: 'b', ONE: '$BASE-1', TWO: '${ONE}-2', LOOP_A: '$LOOP_B', LOOP_B: '$LOOP_A', KEEP: '$NOPE', MONEY: '$$5', RAW: { value: '$BASE', expand: false } });
    const r = resolveVariables(vars);
    assert.deepStrictEqual([r.ONE, r.TWO, r.KEEP, r.MONEY, r.RAW], ['b-1', 'b-1-2', '$NOPE', '$5', '$BASE']);
    assert.ok(typeof r.LOOP_A === 'string' && r.LOOP_A.includes('$LOOP_'), 'a cycle ends as text');
  });

  it('layers sources (the last wins) without copying, and resolves lazily', () => {
    const low = plainVariables({ X: 'low', Y: 'low' });
    const high = plainVariables({ X: 'high', Z: '$Y+$X' });
    const resolve = variableResolver(layered(low, undefined, high));
    assert.deepStrictEqual([resolve('X'), resolve('Y'), resolve('Z'), resolve('W')], ['high', 'low', 'low+high', undefined]);
  });

  it('writes raw values for the runner: expand:false as $$, __proto__ as a plain key', () => {
    const out = rawVariables(readVariables({ A: '$B', RAW: { value: 'a$b', expand: false } }), plainVariables({ A: 'override' }), new Map([['__proto__', { value: 'p', expand: true }]]));
    assert.deepStrictEqual(Object.keys(out), ['A', 'RAW', '__proto__']);
    assert.deepStrictEqual([out.A, out.RAW], ['override', 'a$$b']);
    assert.strictEqual(Object.getPrototypeOf(out), Object.prototype);
  });
});
