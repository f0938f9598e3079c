/**
 * Builds Pipelines and Jobs for runner tests, with the defaults a parser would give. Tests of
 * the runner use it until (and besides) the parsers: the runner must work on any valid plan.
 */
import type { Job, Pipeline, PipelineFormat, Step, When } from '../../../../src/core/pipeline/model';

export interface JobSpec {
  name: string;
  stage?: string;
  needs?: (string | { job: string; optional?: boolean; artifacts?: boolean })[] | null;
  when?: When;
  allowFailure?: boolean;
  allowFailureExitCodes?: number[];
  retry?: number;
  timeoutSeconds?: number;
  script?: string;
  after?: string;
  steps?: Step[];
  variables?: Record<string, string>;
  matrix?: Record<string, string> | null;
  definition?: string;
  environment?: { name: string; action?: string; url?: string };
  image?: string;
  artifacts?: string[];
  condition?: string;
}

export function step(script: string, extra: Partial<Step> = {}): Step {
  return { name: extra.name ?? script.split('\n')[0]!.slice(0, 40), kind: 'script', script, phase: 'main', ...extra };
}

export function makeJob(file: string, spec: JobSpec, format: PipelineFormat = 'gitlab'): Job {
  const steps: Step[] = spec.steps ?? [
    ...(spec.script !== undefined ? [step(spec.script)] : []),
    ...(spec.after !== undefined ? [step(spec.after, { name: 'after_script', phase: 'after' })] : []),
  ];
  const needs = spec.needs === undefined ? (format === 'gitlab' ? null : []) : spec.needs === null ? null : spec.needs.map((n) => (typeof n === 'string' ? { job: n, optional: false, artifacts: true } : { job: n.job, optional: n.optional ?? false, artifacts: n.artifacts ?? true }));
  return {
    id: `${file}#${spec.name}`,
    name: spec.name,
    definition: spec.definition ?? spec.name,
    stage: spec.stage ?? 'test',
    needs,
    matrix: spec.matrix ?? null,
    when: spec.when ?? 'on_success',
    allowFailure: spec.allowFailure ?? false,
    ...(spec.allowFailureExitCodes ? { allowFailureExitCodes: spec.allowFailureExitCodes } : {}),
    retry: spec.retry ?? 0,
    ...(spec.timeoutSeconds !== undefined ? { timeoutSeconds: spec.timeoutSeconds } : {}),
    ...(spec.environment ? { environment: spec.environment } : {}),
    ...(spec.image ? { image: spec.image } : {}),
    ...(spec.artifacts ? { artifacts: { paths: spec.artifacts } } : {}),
    ...(spec.condition ? { condition: spec.condition } : {}),
    variables: spec.variables ?? {},
    steps,
    source: { file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 },
  };
}

export function makePipeline(jobs: JobSpec[], options: { file?: string; format?: PipelineFormat; stages?: string[]; variables?: Record<string, string>; name?: string } = {}): Pipeline {
  const format = options.format ?? 'gitlab';
  const file = options.file ?? (format === 'gitlab' ? '.gitlab-ci.yml' : format === 'github' ? '.github/workflows/ci.yml' : format === 'azure' ? 'azure-pipelines.yml' : 'Jenkinsfile');
  const built = jobs.map((j) => makeJob(file, j, format));
  const stageNames = options.stages ?? [...new Set(built.map((j) => j.stage))];
  return {
    format,
    file,
    name: options.name ?? file,
    stages: stageNames.map((s) => ({ name: s, jobs: built.filter((j) => j.stage === s).map((j) => j.id) })),
    jobs: built,
    variables: options.variables ?? {},
    diagnostics: [],
  };
}

export const idOf = (name: string, file = '.gitlab-ci.yml'): string => `${file}#${name}`;
