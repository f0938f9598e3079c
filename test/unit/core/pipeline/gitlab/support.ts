import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { memoryFileSource, type GitlabContext } from '../../../../../src/core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline, type GitlabPipeline } from '../../../../../src/core/pipeline/gitlab/gitlabParser';
import type { Job } from '../../../../../src/core/pipeline/model';
import { layered, plainVariables, variableResolver } from '../../../../../src/core/pipeline/gitlab/variables';
import { fixture } from '../../../../support/paths';

export const mainPush: GitlabContext = { branch: 'main', pipelineSource: 'push', defaultBranch: 'main' };

/** Parses an in-memory repository (`.gitlab-ci.yml` plus any other files). */
export function parse(files: Record<string, string> | string, context: Partial<GitlabContext> = {}): GitlabPipeline {
  const repo = typeof files === 'string' ? { '.gitlab-ci.yml': files } : files;
  return parseGitlabPipeline({ file: '.gitlab-ci.yml', source: memoryFileSource(repo), context: { ...mainPush, ...context } as GitlabContext });
}

export interface FixtureMeta {
  readonly description: string;
  readonly context?: Partial<GitlabContext>;
  readonly compare?: boolean;
}

/** Files of a fixture folder under test/fixtures/gitlab (fixture.json excluded). */
export function fixtureFiles(name: string): Record<string, string> {
  const dir = fixture('gitlab', name);
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const full = join(d, entry);
      if (statSync(full).isDirectory()) walk(full);
      else if (entry !== 'fixture.json') out[relative(dir, full).split(sep).join('/')] = readFileSync(full, 'utf8');
    }
  };
  walk(dir);
  return out;
}

export function fixtureMeta(name: string): FixtureMeta {
  return JSON.parse(readFileSync(fixture('gitlab', name, 'fixture.json'), 'utf8')) as FixtureMeta;
}

export function fixtureNames(): string[] {
  return readdirSync(fixture('gitlab'))
    .filter((d) => statSync(fixture('gitlab', d)).isDirectory())
    .sort();
}

export function parseFixture(name: string, context: Partial<GitlabContext> = {}): GitlabPipeline {
  return parse(fixtureFiles(name), { ...fixtureMeta(name).context, ...context });
}

export function job(p: GitlabPipeline, name: string): Job {
  const j = p.jobs.find((x) => x.name === name);
  if (!j) throw new Error(`No job '${name}' in the plan; jobs are ${p.jobs.map((x) => `'${x.name}'`).join(', ')}`);
  return j;
}

/** name → "stage when allowFailure" for compact expectations. */
export function summary(p: GitlabPipeline): Record<string, string> {
  return Object.fromEntries(p.jobs.map((j) => [j.name, `${j.stage} ${j.when}${j.allowFailure ? ' allowed-to-fail' : ''}`]));
}

export function needsOf(j: Job): string[] | null {
  return j.needs === null ? null : j.needs.map((n) => n.job);
}

export function codes(p: GitlabPipeline, severity?: string): string[] {
  return p.diagnostics.filter((d) => !severity || d.severity === severity).map((d) => d.code);
}

export function mainLines(j: Job): readonly string[] {
  return j.steps.find((s) => s.phase === 'main')?.lines ?? [];
}

/**
 * A job's variables as its scripts would see them: the raw plan values expanded once over the
 * pipeline's predefined variables (what the runner does), `$$` as `$`.
 */
export function resolved(p: GitlabPipeline, j: Job): Record<string, string> {
  const resolve = variableResolver(layered(plainVariables(p.predefinedVariables), plainVariables(j.variables)));
  return Object.fromEntries(Object.keys(j.variables).map((k) => [k, resolve(k)!]));
}
