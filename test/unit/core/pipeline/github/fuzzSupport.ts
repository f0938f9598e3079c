import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { OpsloopError } from '../../../../../src/core/errors';
import type { Pipeline } from '../../../../../src/core/pipeline/model';
import { validatePipeline } from '../../../../../src/core/pipeline/validate';

/** A generous ceiling per document: a hang guard, not a speed test (speed is measured by npm run bench:plan). */
export const hangGuardMs = 10_000;

/** Checks what every parse result must satisfy, whatever the input. */
export function assertWellFormed(pipeline: Pipeline, file: string): void {
  assert.equal(pipeline.file, file);
  for (const d of [...pipeline.diagnostics, ...validatePipeline(pipeline)]) {
    assert.ok(['error', 'warning', 'info'].includes(d.severity), `severity ${d.severity}`);
    assert.ok(Number.isInteger(d.line) && d.line >= 1, `line ${d.line} of ${d.code}`);
    assert.ok(Number.isInteger(d.column) && d.column >= 1, `column ${d.column} of ${d.code}`);
    assert.ok(typeof d.message === 'string' && d.message.length > 0, `message of ${d.code}`);
    assert.ok(typeof d.code === 'string' && d.code.length > 0);
    assert.ok(typeof d.file === 'string' && d.file.length > 0);
  }
  const ids = new Set<string>();
  for (const job of pipeline.jobs) {
    assert.ok(!ids.has(job.id), `duplicate job id ${job.id}`);
    ids.add(job.id);
    assert.ok(job.source.startLine >= 1 && job.source.startColumn >= 1, `source of ${job.id}`);
    for (const step of job.steps) if (step.range) assert.ok(step.range.startLine >= 1, `step range of ${job.id}`);
  }
  const staged = pipeline.stages.flatMap((s) => s.jobs);
  assert.equal(staged.length, ids.size, 'every job is in exactly one stage');
  for (const id of staged) assert.ok(ids.has(id), `stage lists unknown job ${id}`);
}

/**
 * Runs a parse; anything thrown but an OpsloopError fails the property, and so does a parse
 * slower than the hang guard. Adds the time taken to `times` (for the report); returns the
 * pipeline, undefined when the parser refused the input with an OpsloopError.
 */
export function parseSafely(parse: () => Pipeline, file: string, times: number[]): Pipeline | undefined {
  const started = performance.now();
  let pipeline: Pipeline | undefined;
  try {
    pipeline = parse();
  } catch (error) {
    if (!OpsloopError.is(error)) throw error;
  }
  const ms = performance.now() - started;
  times.push(ms);
  assert.ok(ms < hangGuardMs, `took ${ms} ms`);
  if (pipeline) assertWellFormed(pipeline, file);
  return pipeline;
}

interface Mutation {
  readonly kind: 'delete' | 'insert' | 'replace' | 'duplicate' | 'truncate';
  readonly at: number;
  readonly length: number;
  readonly text: string;
}

/** Edits of a document: deleting, inserting tokens of the format, duplicating lines, truncating. */
export function mutated(seeds: readonly string[], tokens: readonly string[]): fc.Arbitrary<string> {
  const mutation: fc.Arbitrary<Mutation> = fc.record({
    kind: fc.constantFrom('delete', 'insert', 'replace', 'duplicate', 'truncate'),
    at: fc.nat(),
    length: fc.nat({ max: 40 }),
    text: fc.oneof(fc.constantFrom(...tokens), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 })),
  });
  return fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { minLength: 1, maxLength: 8 })).map(([seed, edits]) => {
    let text = seed;
    for (const e of edits) {
      const at = text.length === 0 ? 0 : e.at % (text.length + 1);
      switch (e.kind) {
        case 'delete':
          text = text.slice(0, at) + text.slice(at + e.length);
          break;
        case 'insert':
          text = text.slice(0, at) + e.text + text.slice(at);
          break;
        case 'replace':
          text = text.slice(0, at) + e.text + text.slice(at + Math.max(1, e.length % 5));
          break;
        case 'duplicate': {
          const start = text.lastIndexOf('\n', at) + 1;
          const end = text.indexOf('\n', at);
          const line = text.slice(start, end < 0 ? text.length : end + 1);
          text = text.slice(0, start) + line + text.slice(start);
          break;
        }
        case 'truncate':
          text = text.slice(0, at);
          break;
      }
    }
    return text;
  });
}

/** Prints what a property run tried, for the report (figures, not assertions). */
export function report(label: string, runs: number, times: number[]): void {
  const sorted = [...times].sort((a, b) => a - b);
  const p = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  if (process.env.OPSLOOP_FUZZ_REPORT) {
    console.log(`      ${label}: ${runs} documents, median ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms, max ${p(1).toFixed(1)} ms`);
  }
}

/** "Billion laughs": nine levels of ten aliases each, 10^9 strings once expanded. */
export function yamlBomb(tail: string): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i <= 9; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(',')}]`);
  return `${lines.join('\n')}\n${tail}`;
}
