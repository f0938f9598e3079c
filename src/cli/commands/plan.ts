import { formatLabels } from '../../core/pipeline/formats';
import type { Diagnostic, Job, Pipeline, Plan } from '../../core/pipeline/model';
import { OpsloopError } from '../../core/errors';
import type { GitlabPipelineSource } from '../../core/pipeline/gitlab/gitlabContext';
import { type LoadPlanOptions, loadWorkspacePlan } from '../../node/pipeline/loadPlan';
import { parseArgs } from '../args';
import { type CliCommand, type CliIO, ExitCode } from '../cliCommand';

/**
 * `opsloop plan`: the validated plan of the pipelines under the current folder. The JSON form
 * is a contract other tools read (docs/pipelines.md): fields are only ever added, never renamed.
 */
export interface PlanJson {
  readonly files: readonly string[];
  readonly jobs: readonly PlanJobJson[];
  readonly diagnostics: readonly PlanDiagnosticJson[];
}

export interface PlanJobJson {
  readonly id: string;
  readonly name: string;
  readonly stage: string;
  /** Names of the jobs this one waits for, as the file writes them; [] when it waits for none or is ordered by stage. */
  readonly needs: readonly string[];
  readonly when: string;
  readonly allowFailure: boolean;
  readonly environment: string | null;
  readonly matrix: Readonly<Record<string, string>> | null;
  /** Where the job is written (an included file or template may differ from the pipeline's file). */
  readonly file: string;
  readonly line: number;
  /** Added fields: the pipeline file the job belongs to, and whether it waits for all earlier stages (no needs). */
  readonly pipeline: string;
  readonly orderedByStage: boolean;
}

export interface PlanDiagnosticJson {
  readonly severity: string;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** Added field: the stable rule identifier. */
  readonly code: string;
}

export function planToJson(plan: Plan): PlanJson {
  return {
    files: [...plan.files],
    jobs: plan.pipelines.flatMap((p) => p.jobs.map((j) => jobJson(p, j))),
    diagnostics: plan.diagnostics.map((d) => ({ severity: d.severity, message: d.message, file: d.file, line: d.line, column: d.column, code: d.code })),
  };
}

function jobJson(pipeline: Pipeline, job: Job): PlanJobJson {
  return {
    id: job.id,
    name: job.name,
    stage: job.stage,
    needs: (job.needs ?? []).map((n) => n.job),
    when: job.when,
    allowFailure: job.allowFailure,
    environment: job.environment?.name ?? null,
    matrix: job.matrix ? { ...job.matrix } : null,
    file: job.source.file,
    line: job.source.startLine,
    pipeline: pipeline.file,
    orderedByStage: job.needs === null,
  };
}

/** The plan as a readable tree: file → stage → job (→ steps with `steps`), then the problems. */
export function formatPlanTree(plan: Plan, options: { steps?: boolean } = {}): string {
  const out: string[] = [];
  for (const p of plan.pipelines) {
    const count = `${p.jobs.length} ${p.jobs.length === 1 ? 'job' : 'jobs'}`;
    const title = p.name !== p.file ? ` · ${p.name}` : '';
    out.push(`${p.file}  (${formatLabels[p.format]}${title} · ${count})`);
    const byId = new Map(p.jobs.map((j) => [j.id, j]));
    p.stages.forEach((stage, si) => {
      const lastStage = si === p.stages.length - 1;
      out.push(`${lastStage ? '└─' : '├─'} ${stage.name}`);
      const stagePrefix = lastStage ? '   ' : '│  ';
      stage.jobs.forEach((id, ji) => {
        const job = byId.get(id);
        if (!job) return;
        const lastJob = ji === stage.jobs.length - 1;
        out.push(`${stagePrefix}${lastJob ? '└─' : '├─'} ${job.name}${jobDetails(job, si === 0)}`);
        if (options.steps) {
          const jobPrefix = stagePrefix + (lastJob ? '   ' : '│  ');
          job.steps.forEach((step, k) => {
            const mark = step.kind === 'uses' ? `uses ${step.uses ?? step.name}` : `$ ${firstLine(step.script ?? step.name)}`;
            out.push(`${jobPrefix}${k === job.steps.length - 1 ? '└─' : '├─'} ${step.phase === 'after' ? '(after) ' : ''}${mark}`);
          });
        }
      });
    });
    if (p.stages.length === 0) out.push('└─ (no jobs)');
    out.push('');
  }
  if (plan.diagnostics.length > 0) {
    out.push('Problems:');
    for (const d of plan.diagnostics) out.push(`  ${formatDiagnostic(d)}`);
    out.push('');
  }
  const jobs = plan.pipelines.reduce((n, p) => n + p.jobs.length, 0);
  const errors = plan.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = plan.diagnostics.filter((d) => d.severity === 'warning').length;
  out.push(
    `${plan.pipelines.length} ${plan.pipelines.length === 1 ? 'pipeline' : 'pipelines'}, ${jobs} ${jobs === 1 ? 'job' : 'jobs'}, ${errors} ${errors === 1 ? 'error' : 'errors'}, ${warnings} ${warnings === 1 ? 'warning' : 'warnings'}.`,
  );
  return `${out.join('\n')}\n`;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}: ${d.message} [${d.code}]`;
}

function jobDetails(job: Job, firstStage: boolean): string {
  const parts: string[] = [];
  if (job.needs === null && !firstStage) parts.push('after earlier stages');
  else if (job.needs !== null && job.needs.length > 0) parts.push(`needs ${job.needs.map((n) => n.job + (n.optional ? '?' : '')).join(', ')}`);
  if (job.when !== 'on_success') parts.push(`when ${job.when}`);
  if (job.allowFailure) parts.push('may fail');
  if (job.environment) parts.push(`env ${job.environment.name}`);
  if (job.condition) parts.push(`if ${firstLine(job.condition, 50)}`);
  return parts.length > 0 ? `  [${parts.join('; ')}]` : '';
}

function firstLine(text: string, max = 70): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

const pipelineSources: readonly GitlabPipelineSource[] = ['push', 'web', 'schedule', 'api', 'trigger', 'pipeline', 'parent_pipeline', 'merge_request_event', 'external_pull_request_event', 'chat', 'webide', 'external', 'ondemand_dast_scan', 'ondemand_dast_validation', 'security_orchestration_policy'];

/** The GitLab pipeline context the command line asks for; an unknown source or a malformed variable is a usage error. */
function gitlabContextOptions(options: Record<string, unknown>): LoadPlanOptions['gitlab'] {
  if (options.branch !== undefined && options.tag !== undefined) throw new OpsloopError('invalidInput', 'Give --branch or --tag, not both.');
  const source = options.source as string | undefined;
  if (source !== undefined && !pipelineSources.includes(source as GitlabPipelineSource)) {
    throw new OpsloopError('invalidInput', `Unknown pipeline source '${source}': use one of ${pipelineSources.join(', ')}.`);
  }
  const variables: Record<string, string> = {};
  for (const pair of (options.variable as string[] | undefined) ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0 || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(pair.slice(0, eq))) throw new OpsloopError('invalidInput', `--variable '${pair}' is not KEY=VALUE.`);
    variables[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return {
    ...(options.branch !== undefined ? { branch: options.branch as string } : {}),
    ...(options.tag !== undefined ? { tag: options.tag as string } : {}),
    ...(source !== undefined ? { pipelineSource: source as GitlabPipelineSource } : {}),
    ...(Object.keys(variables).length > 0 ? { variables } : {}),
  };
}

export const planCommand: CliCommand = {
  name: 'plan',
  summary: 'Show the validated plan of the pipelines under the current folder.',
  usage: `Usage: opsloop plan [--file F]... [--json] [--steps] [--branch B | --tag T] [--source S] [--variable K=V]...

Reads the pipeline files under the current folder (.gitlab-ci.yml, .github/workflows/*.yml,
azure-pipelines.yml, Jenkinsfile), checks them and prints their stages and jobs. Nothing runs.

Options:
  --file F   Read only this pipeline file (may be given several times).
  --json     Print one JSON object: {"files", "jobs", "diagnostics"} (see docs/pipelines.md).
  --steps    Also list each job's steps (tree output).

GitLab rules, only/except and workflow:rules are evaluated for a pipeline context; by default the
checked-out branch, a push, and the files changed on it. To plan another pipeline:
  --branch B        As if the pipeline ran for branch B.
  --tag T           As if it ran for tag T.
  --source S        CI_PIPELINE_SOURCE: ${pipelineSources.join(', ')}.
  --variable K=V    A pipeline variable (may be given several times).

Exit status: 0 when the plan has no error, 1 when any diagnostic is an error, 2 on bad usage.
`,
  async run(args: readonly string[], io: CliIO): Promise<number> {
    const { options, positionals } = parseArgs(args, {
      file: { type: 'string', multiple: true, short: 'f' },
      json: { type: 'boolean' },
      steps: { type: 'boolean' },
      branch: { type: 'string' },
      tag: { type: 'string' },
      source: { type: 'string' },
      variable: { type: 'string', multiple: true },
    });
    if (positionals.length > 0) {
      io.stderr(`opsloop plan: unexpected argument '${positionals[0]}' (use --file to name a pipeline file).\n`);
      return ExitCode.usage;
    }
    const files = (options.file as string[] | undefined) ?? [];
    const plan = await loadWorkspacePlan(io.cwd, { files, signal: io.signal, gitlab: gitlabContextOptions(options) });
    if (options.json) {
      io.stdout(`${JSON.stringify(planToJson(plan), null, 2)}\n`);
    } else if (plan.files.length === 0) {
      io.stdout(`No pipeline file found under ${io.cwd} (looked for .gitlab-ci.yml, .github/workflows/*.yml, azure-pipelines.yml, Jenkinsfile).\n`);
    } else {
      io.stdout(formatPlanTree(plan, { steps: options.steps === true }));
    }
    return plan.diagnostics.some((d) => d.severity === 'error') ? ExitCode.failed : ExitCode.ok;
  },
};
