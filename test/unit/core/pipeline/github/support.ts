import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Diagnostic, Job, Pipeline } from '../../../../../src/core/pipeline/model';
import { fixture } from '../../../../support/paths';

/** Text of a fixture file. */
export function readFixture(...parts: string[]): string {
  return readFileSync(fixture(...parts), 'utf8');
}

/** A reader over a fixture folder, as loadPlan's workspace reader gives the parsers. */
export function fixtureReader(...folder: string[]): (path: string) => string | undefined {
  return (path) => {
    try {
      return readFileSync(join(fixture(...folder), path), 'utf8');
    } catch {
      return undefined;
    }
  };
}

/** 1-based line of the first line containing `needle` (after `after`, when given); throws when absent so a test cannot pass by accident. */
export function lineOf(text: string, needle: string, after?: string): number {
  const lines = text.split('\n');
  let start = 0;
  if (after !== undefined) {
    start = lines.findIndex((l) => l.includes(after));
    if (start < 0) throw new Error(`fixture has no line with ${JSON.stringify(after)}`);
  }
  const index = lines.findIndex((l, i) => i >= start && l.includes(needle));
  if (index < 0) throw new Error(`fixture has no line with ${JSON.stringify(needle)}`);
  return index + 1;
}

export function jobNamed(pipeline: Pipeline, name: string): Job {
  const job = pipeline.jobs.find((j) => j.name === name);
  if (!job) throw new Error(`no job named ${JSON.stringify(name)}; jobs: ${pipeline.jobs.map((j) => j.name).join(', ')}`);
  return job;
}

export function withCode(diagnostics: readonly Diagnostic[], code: string): Diagnostic[] {
  return diagnostics.filter((d) => d.code === code);
}

export function describeDiagnostics(diagnostics: readonly Diagnostic[]): string {
  return diagnostics.map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`).join('\n');
}
