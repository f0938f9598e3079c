import * as assert from 'assert';
import { isYamlMapping, loadYaml, YamlReference, type LoadedYaml } from '../../../../../src/core/pipeline/yaml/yamlLoader';
import type { SourceRange } from '../../../../../src/core/pipeline/model';

/** `line:col-line:col` of a range, for compact assertions. */
function at(r: SourceRange | undefined): string | undefined {
  return r && `${r.startLine}:${r.startColumn}-${r.endLine}:${r.endColumn}`;
}
function start(r: SourceRange | undefined): string | undefined {
  return r && `${r.startLine}:${r.startColumn}`;
}
function codes(l: LoadedYaml): string[] {
  return l.diagnostics.map((d) => d.code);
}

describe('loadYaml', () => {
  describe('values', () => {
    it('reads block and flow styles into plain data', () => {
      const l = loadYaml('a: 1\nb: [x, "y"]\nc: {d: true, e: null}\nf:\n  - g\n  - 2.5\n', 'f.yml');
      assert.deepStrictEqual(l.value, { a: 1, b: ['x', 'y'], c: { d: true, e: null }, f: ['g', 2.5] });
      assert.deepStrictEqual(l.diagnostics, []);
    });

    it('resolves aliases into independent copies and applies << merges (own keys win, first source wins)', () => {
      const l = loadYaml('base: &b {x: 1, y: 2}\nother: &o {y: 3, z: 4}\njob:\n  <<: [*b, *o]\n  x: 9\ncopy: *b\n', 'f.yml');
      const v = l.value as Record<string, Record<string, number>>;
      assert.deepStrictEqual(v.job, { x: 9, y: 2, z: 4 });
      assert.deepStrictEqual(v.copy, { x: 1, y: 2 });
      assert.notStrictEqual(v.copy, v.base, 'an alias must be a copy, so a consumer that edits one does not edit the other');
    });

    it('keeps timestamps-looking and yes/no scalars as YAML 1.2 core reads them', () => {
      const l = loadYaml('d: 2024-01-02\ny: yes\no: on\n', 'f.yml');
      assert.deepStrictEqual(l.value, { d: '2024-01-02', y: 'yes', o: 'on' });
    });

    it('reads !reference only with gitlabTags', () => {
      const l = loadYaml('job:\n  script: !reference [.setup, script]\n', 'f.yml', { gitlabTags: true });
      const script = ((l.value as Record<string, Record<string, unknown>>).job!).script;
      assert.ok(script instanceof YamlReference);
      assert.deepStrictEqual(script.path, ['.setup', 'script']);
      const plain = loadYaml('job:\n  script: !reference [.setup, script]\n', 'f.yml');
      assert.strictEqual(plain.value, undefined);
      assert.deepStrictEqual(codes(plain), ['yaml-syntax']);
      assert.strictEqual(plain.diagnostics[0]!.line, 2);
    });

    it('strips a BOM and reads CRLF line ends with correct lines', () => {
      const l = loadYaml('\ufeffa: 1\r\nb:\r\n  c: 2\r\n', 'f.yml');
      assert.deepStrictEqual(l.value, { a: 1, b: { c: 2 } });
      assert.strictEqual(start(l.rangeOf(['b', 'c'])), '3:6');
    });

    it('gives undefined for an empty document, without diagnostics', () => {
      const l = loadYaml('', 'f.yml');
      assert.strictEqual(l.value, undefined);
      assert.deepStrictEqual(l.diagnostics, []);
      assert.strictEqual(at(l.nearestRangeOf(['x'])), '1:1-1:1');
    });

    it('reads GitLab spec headers when asked, and warns about extra documents otherwise', () => {
      const withHeader = loadYaml('spec:\n  inputs: {}\n---\njob: {script: x}\n', 'f.yml', { documents: 'gitlabHeader' });
      assert.deepStrictEqual(withHeader.value, { job: { script: 'x' } });
      assert.deepStrictEqual(withHeader.diagnostics, []);
      assert.strictEqual(start(withHeader.keyRangeOf(['job'])), '4:1');
      const two = loadYaml('a: 1\n---\nb: 2\n', 'f.yml');
      assert.deepStrictEqual(two.value, { a: 1 });
      assert.deepStrictEqual(codes(two), ['yaml-multiple-documents']);
      assert.strictEqual(two.diagnostics[0]!.line, 3);
    });
  });

  describe('positions', () => {
    const text = [
      'stages: [build, test]', // 1
      '.tpl: &tpl', // 2
      '  image: ruby:3', // 3
      '  script:', // 4
      '    - echo hi', // 5
      'job1:', // 6
      '  <<: *tpl', // 7
      '  stage: build', // 8
      '  script: ["a", "b"]', // 9
      'job2: {stage: test, needs: [job1]}', // 10
      'list:', // 11
      '- a', // 12
      '- *tpl', // 13
      '- [x, y]', // 14
      '- k: v', // 15
      '  k2: v2   # comment', // 16
      'empty:', // 17
      'quoted: "a b"', // 18
      'block: |', // 19
      '  line one', // 20
      '  line two', // 21
      'last: 1', // 22
      '',
    ].join('\n');
    const l = loadYaml(text, 'p.yml');

    it('finds block keys and values', () => {
      assert.strictEqual(at(l.keyRangeOf(['job1'])), '6:1-6:5');
      assert.strictEqual(at(l.rangeOf(['job1'])), '7:3-9:21');
      assert.strictEqual(at(l.rangeOf(['job1', 'stage'])), '8:10-8:15');
      assert.strictEqual(at(l.keyRangeOf(['job1', 'stage'])), '8:3-8:8');
    });

    it('finds flow items', () => {
      assert.strictEqual(at(l.rangeOf(['stages', 1])), '1:17-1:21');
      assert.strictEqual(at(l.rangeOf(['stages'])), '1:9-1:22');
      assert.strictEqual(at(l.rangeOf(['job1', 'script', 1])), '9:17-9:20');
      assert.strictEqual(at(l.rangeOf(['job2', 'needs', 0])), '10:29-10:33');
      assert.strictEqual(at(l.keyRangeOf(['job2', 'needs'])), '10:21-10:26');
      assert.strictEqual(at(l.rangeOf(['list', 2, 1])), '14:7-14:8');
    });

    it('puts a merged key where it is written (in the anchor), not where it is merged', () => {
      assert.strictEqual(at(l.keyRangeOf(['job1', 'image'])), '3:3-3:8');
      assert.strictEqual(at(l.rangeOf(['job1', 'script', 0])), '9:12-9:15', 'own keys win over merged ones');
      assert.strictEqual(at(l.rangeOf(['list', 1, 'script', 0])), '5:7-5:14', 'a path through an alias continues in the anchor');
      assert.strictEqual(at(l.rangeOf(['list', 1])), '13:3-13:7', 'the alias itself is where the path is written');
    });

    it('handles block sequences of mappings, comments, empty values, quoted and block scalars', () => {
      assert.strictEqual(at(l.rangeOf(['list', 3])), '15:3-16:9');
      assert.strictEqual(at(l.rangeOf(['list', 3, 'k2'])), '16:7-16:9');
      assert.strictEqual(at(l.rangeOf(['empty'])), '17:7-17:7');
      assert.strictEqual(at(l.rangeOf(['quoted'])), '18:9-18:14');
      assert.strictEqual(at(l.rangeOf(['block'])), '19:8-21:11');
      assert.strictEqual(at(l.keyRangeOf(['last'])), '22:1-22:5');
    });

    it('returns undefined for paths that do not exist, and the nearest range on request', () => {
      assert.strictEqual(l.rangeOf(['job1', 'nope']), undefined);
      assert.strictEqual(l.rangeOf(['stages', 5]), undefined);
      assert.strictEqual(l.rangeOf(['stages', 'x']), undefined);
      assert.strictEqual(l.keyRangeOf([]), undefined);
      assert.strictEqual(at(l.nearestRangeOf(['job1', 'nope', 3])), '7:3-9:21');
    });

    it('finds a !reference node', () => {
      const g = loadYaml('job:\n  script:\n    - !reference [.a, script]\n    - echo\n', 'g.yml', { gitlabTags: true });
      assert.strictEqual(start(g.rangeOf(['job', 'script', 0])), '3:18');
      assert.strictEqual(start(g.rangeOf(['job', 'script', 0, 1])), '3:23');
      assert.strictEqual(start(g.rangeOf(['job', 'script', 1])), '4:7');
    });

    it('maps flow pairs, explicit keys and keys without values', () => {
      const g = loadYaml('s: [a: 1, b]\nm: {x, y: 2}\n? k\n: v\n', 'g.yml');
      assert.deepStrictEqual(g.value, { s: [{ a: 1 }, 'b'], m: { x: null, y: 2 }, k: 'v' });
      assert.strictEqual(start(g.rangeOf(['s', 0, 'a'])), '1:8');
      assert.strictEqual(start(g.rangeOf(['s', 1])), '1:11');
      assert.strictEqual(start(g.rangeOf(['m', 'y'])), '2:11');
      assert.strictEqual(start(g.keyRangeOf(['m', 'x'])), '2:5');
      assert.strictEqual(start(g.rangeOf(['k'])), '4:3');
    });

    it('follows anchors on nested mappings and sequences, redefined anchors included', () => {
      const g = loadYaml('a: &x\n  - one\nb: *x\na2: &x {k: v}\nc: *x\n', 'g.yml');
      assert.strictEqual(start(g.rangeOf(['b', 0])), '2:5');
      assert.strictEqual(start(g.rangeOf(['c', 'k'])), '4:12');
    });
  });

  describe('duplicate keys', () => {
    it('reports each duplicate at its line, keeps the last value', () => {
      const l = loadYaml('a: 1\nb:\n  c: 1\n  c: 2\na: 3\n', 'f.yml');
      assert.deepStrictEqual(l.value, { a: 3, b: { c: 2 } });
      const d = l.diagnostics.map((x) => `${x.code}@${x.line}:${x.column}`).sort();
      assert.deepStrictEqual(d, ['yaml-duplicate-key@4:3', 'yaml-duplicate-key@5:1']);
      assert.match(l.diagnostics.find((x) => x.line === 5)!.message, /"a".*line 1/);
    });

    it('uses the severity asked for, and does not count merged keys as duplicates', () => {
      const l = loadYaml('t: &t {a: 1}\nj:\n  <<: *t\n  a: 2\n  b: 1\n  b: 2\n', 'f.yml', { duplicateKeys: 'warning' });
      assert.deepStrictEqual(l.diagnostics.map((x) => [x.severity, x.line]), [['warning', 6]]);
      assert.deepStrictEqual((l.value as Record<string, unknown>).j, { a: 2, b: 2 });
    });

    it('reports duplicates in flow mappings', () => {
      const l = loadYaml('m: {a: 1, a: 2}\n', 'f.yml');
      assert.deepStrictEqual(codes(l), ['yaml-duplicate-key']);
      assert.strictEqual(l.diagnostics[0]!.column, 11);
    });
  });

  describe('limits and bad input', () => {
    function bomb(levels: number): string {
      let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
      for (let i = 1; i < levels; i++) text += `a${i}: &a${i} [${Array(9).fill(`*a${i - 1}`).join(', ')}]\n`;
      return text;
    }

    it('refuses a billion laughs document quickly, at the line where expansion explodes', () => {
      const text = bomb(10);
      assert.ok(text.length < 1000);
      const l = loadYaml(text, 'b.yml');
      assert.strictEqual(l.value, undefined);
      assert.deepStrictEqual(codes(l), ['yaml-too-many-nodes']);
      assert.ok(l.diagnostics[0]!.line > 1 && l.diagnostics[0]!.line <= 10);
    });

    it('accepts a small expansion and honours a lower node limit', () => {
      assert.deepStrictEqual(codes(loadYaml(bomb(3), 'b.yml')), []);
      const l = loadYaml(bomb(3), 'b.yml', { limits: { maxNodes: 50 } });
      assert.deepStrictEqual(codes(l), ['yaml-too-many-nodes']);
    });

    it('refuses deep nesting in the text and through aliases', () => {
      const deep = loadYaml('['.repeat(5000) + ']'.repeat(5000), 'd.yml');
      assert.deepStrictEqual(codes(deep), ['yaml-too-deep']);
      assert.strictEqual(deep.diagnostics[0]!.line, 1);
      let chain = 'a0: &a0 [x]\n';
      for (let i = 1; i < 30; i++) chain += `a${i}: &a${i} [*a${i - 1}]\n`;
      assert.deepStrictEqual(codes(loadYaml(chain, 'c.yml')), []);
      const viaAliases = loadYaml(chain, 'c.yml', { limits: { maxDepth: 20 } });
      assert.deepStrictEqual(codes(viaAliases), ['yaml-too-deep']);
    });

    it('refuses an alias to its own container', () => {
      for (const text of ['&a [*a]', 'x: &a {y: *a}', 'x: &a\n  - 1\n  - *a\n']) {
        const l = loadYaml(text, 'r.yml');
        assert.strictEqual(l.value, undefined, text);
        assert.deepStrictEqual(codes(l), ['yaml-recursive-alias'], text);
      }
    });

    it('checks the size before parsing (50 MB)', () => {
      const big = 'a: ' + 'x'.repeat(50 * 1024 * 1024);
      const l = loadYaml(big, 'big.yml');
      assert.deepStrictEqual(codes(l), ['yaml-too-large']);
      assert.strictEqual(l.diagnostics[0]!.line, 1);
      const multiByte = loadYaml('a: ' + 'é'.repeat(600), 'mb.yml', { limits: { maxBytes: 1000 } });
      assert.deepStrictEqual(codes(multiByte), ['yaml-too-large'], 'bytes, not characters');
    });

    it('reports binary junk and half-written YAML with a line', () => {
      const bin = loadYaml('\x89PNG\r\n\x1a\n\x00\x01\x02', 'b.png');
      assert.deepStrictEqual(codes(bin), ['yaml-binary']);
      // 3 MB of bytes decoded as UTF-8: mostly three-byte replacement characters, over 4 MiB as
      // UTF-8, yet the useful answer is "binary", not "too large"
      const bytes = Buffer.alloc(3 * 1024 * 1024);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
      const bigBin = loadYaml(bytes.toString('utf8'), 'big.png');
      assert.deepStrictEqual(codes(bigBin), ['yaml-binary']);
      const half = loadYaml('job:\n  script:\n    - "unterminated\n', 'h.yml');
      assert.strictEqual(half.value, undefined);
      const halfError = half.diagnostics.find((d) => d.severity === 'error')!;
      assert.strictEqual(halfError.code, 'yaml-syntax');
      assert.ok(halfError.line >= 3);
      const badIndent = loadYaml('a:\n  b: 1\n c: 2\n', 'i.yml');
      assert.strictEqual(badIndent.value, undefined);
      assert.strictEqual(badIndent.diagnostics.find((d) => d.severity === 'error')!.line, 3);
    });

    it('keeps __proto__ and constructor as plain own keys', () => {
      const l = loadYaml('__proto__: {polluted: 1}\nconstructor: {prototype: {x: 1}}\nj:\n  <<: {__proto__: {p: 1}}\n', 'p.yml');
      const v = l.value as Record<string, unknown>;
      assert.ok(isYamlMapping(v));
      assert.strictEqual(Object.getPrototypeOf(v), Object.prototype);
      assert.deepStrictEqual(Object.keys(v), ['__proto__', 'constructor', 'j']);
      assert.deepStrictEqual(Object.getOwnPropertyDescriptor(v, '__proto__')!.value, { polluted: 1 });
      assert.strictEqual(({} as Record<string, unknown>).polluted, undefined);
      assert.strictEqual(({} as Record<string, unknown>).p, undefined);
      assert.strictEqual(Object.getPrototypeOf(v.j), Object.prototype);
    });
  });
});
