import * as assert from 'assert';
import fc from 'fast-check';
import * as jsyaml from 'js-yaml';
import { OpsloopError } from '../../../../../src/core/errors';
import { loadYaml, type LoadedYaml } from '../../../../../src/core/pipeline/yaml/yamlLoader';

/** Runs the loader and every position query; only OpsloopError may escape (reliability.md item 11). */
function exercise(text: string): LoadedYaml | undefined {
  try {
    const l = loadYaml(text, 'fuzz.yml', { gitlabTags: true, limits: { maxNodes: 20_000 } });
    for (const d of l.diagnostics) {
      assert.ok(d.line >= 1 && d.column >= 1, `diagnostic position ${d.line}:${d.column}`);
      assert.ok(d.message.length > 0);
    }
    walkPaths(l.value, [], (path) => {
      const r = l.rangeOf(path);
      if (r) assert.ok(r.startLine >= 1 && r.startColumn >= 1 && (r.endLine > r.startLine || (r.endLine === r.startLine && r.endColumn >= r.startColumn)));
      l.keyRangeOf(path);
      l.nearestRangeOf(path);
    });
    return l;
  } catch (e) {
    if (e instanceof OpsloopError) return undefined;
    throw e;
  }
}

function walkPaths(value: unknown, path: (string | number)[], visit: (path: (string | number)[]) => void, budget = { n: 2000 }): void {
  if (--budget.n < 0) return;
  visit(path);
  if (Array.isArray(value)) value.forEach((v, i) => walkPaths(v, [...path, i], visit, budget));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) walkPaths(v, [...path, k], visit, budget);
}

const fragments = [
  'a: 1\n', 'b:\n  - x\n  - y\n', 'c: &anc {k: v}\n', 'd: *anc\n', 'e:\n  <<: *anc\n', '<<: *anc\n', '- item\n', '  nested: [1, 2]\n',
  'f: !reference [a, b]\n', 'g: |\n  text\n', 'h: "quoted\n', "i: 'single'\n", 'j: {x, y: 1}\n', '? k\n: v\n', '---\n', '...\n', '# comment\n',
  '__proto__: {x: 1}\n', 'constructor: 1\n', 'job:\n  script: echo\n', '\t\tbad: tab\n', '&a [*a]\n', '!!binary aGk=\n', '%YAML 1.2\n', ': \n', '[', ']', '{', '}', ',', '*', '&', '!', '|', '>', '"', "'",
];

describe('loadYaml fuzz (fast-check)', () => {
  it('never throws on generated documents built from YAML fragments', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...fragments), { maxLength: 25 }), fc.array(fc.nat(6), { maxLength: 25 }), (parts, indents) => {
        const text = parts.map((p, i) => ' '.repeat(indents[i] ?? 0) + p).join('');
        exercise(text);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on arbitrary strings, including binary and unicode', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: fc.constantFrom(...'[]{}:,-?&*!|>\'"#%@` \n\tab0'.split('')), maxLength: 120 })), (text) => {
        exercise(text);
      }),
      { numRuns: 4000 },
    );
  });

  it('agrees with js-yaml on valid documents it dumps, and mutations of them never throw', () => {
    const yamlValue = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.string({ maxLength: 8 }),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('value'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(yamlValue, fc.boolean(), fc.array(fc.tuple(fc.nat(), fc.nat(3), fc.constantFrom('', ':', '- ', '*', '&x ', '\n', '  ', '[', '{', '"', '#')), { maxLength: 4 }), (value, flow, mutations) => {
        const text = jsyaml.dump(value, { flowLevel: flow ? 1 : -1 });
        const l = exercise(text);
        assert.ok(l);
        let expected: unknown;
        try {
          expected = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA });
        } catch {
          // js-yaml's dumper sometimes writes flow text its own loader refuses (`- [.:{]`): then we must refuse it too
          assert.strictEqual(l.value, undefined, text);
          return;
        }
        assert.deepStrictEqual(l.diagnostics, [], text);
        assert.deepStrictEqual(l.value, expected, text);
        // every path of the value has a range whose text holds the scalar it names
        walkPaths(l.value, [], (path) => {
          assert.ok(l.rangeOf(path), `no range for ${JSON.stringify(path)} in\n${text}`);
        });
        let mutated = text;
        for (const [pos, del, ins] of mutations) {
          const p = mutated.length === 0 ? 0 : pos % mutated.length;
          mutated = mutated.slice(0, p) + ins + mutated.slice(p + del);
        }
        exercise(mutated);
      }),
      { numRuns: 2500 },
    );
  });

  it('scalar ranges cover the text of the scalar', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), fc.oneof(fc.stringMatching(/^[a-z][a-z0-9 ]{0,8}[a-z0-9]$/), fc.array(fc.stringMatching(/^[a-z]{1,5}$/), { minLength: 1, maxLength: 3 })), { minKeys: 1, maxKeys: 6 }), fc.boolean(), (value, flow) => {
        const text = jsyaml.dump(value, { flowLevel: flow ? 0 : -1 });
        const l = loadYaml(text, 'f.yml');
        const lines = text.split('\n');
        const slice = (r: { startLine: number; startColumn: number; endLine: number; endColumn: number }): string =>
          r.startLine === r.endLine ? lines[r.startLine - 1]!.slice(r.startColumn - 1, r.endColumn - 1) : '';
        for (const [key, v] of Object.entries(value)) {
          assert.strictEqual(slice(l.keyRangeOf([key])!).replace(/^'|'$/g, ''), key, text);
          if (typeof v === 'string') assert.strictEqual(slice(l.rangeOf([key])!).replace(/^'|'$/g, ''), v, text);
          else v.forEach((item, i) => assert.strictEqual(slice(l.rangeOf([key, i])!).replace(/^'|'$/g, ''), item, text));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
