/**
 * Jenkins declarative pipelines (`pipeline { stages { stage('x') { steps { sh '...' } } } }`)
 * into the plan model. Each stage that runs steps is a job; a top-level stage is a plan stage.
 * Parallel branches become jobs of the same plan stage; nested sequential stages and matrix
 * cells are chained with needs. A scripted pipeline (`node { ... }`) is reported, not guessed.
 */
import type { Diagnostic, Job, Need, Pipeline, SourceRange, Stage, Step, When } from '../model';
import { diagnosticAt, firstLine } from '../parserSupport';
import { unknownKeyDiagnostic } from '../validate';
import { type GroovyArg, type GroovyValue, parseGroovy, type Statement, valueText } from './groovyAst';

export interface JenkinsParseInput {
  /** Workspace-relative path, forward slashes. */
  readonly file: string;
  readonly text: string;
  /** Characters; larger files are reported, not read. Default 5 MB. */
  readonly maxChars?: number;
}

const pipelineDirectives = new Set(['agent', 'environment', 'options', 'parameters', 'triggers', 'tools', 'libraries', 'stages', 'post', 'input', 'when']);
const stageDirectives = new Set(['agent', 'environment', 'options', 'when', 'input', 'tools', 'steps', 'parallel', 'stages', 'matrix', 'post', 'failFast']);
const postConditions = new Set(['always', 'changed', 'fixed', 'regression', 'aborted', 'failure', 'success', 'unstable', 'unsuccessful', 'cleanup', 'notBuilt']);
const shellSteps: Readonly<Record<string, string>> = { sh: 'sh', bat: 'cmd', powershell: 'powershell', pwsh: 'pwsh' };

interface Context {
  readonly file: string;
  readonly diagnostics: Diagnostic[];
  readonly jobs: Job[];
  readonly names: Map<string, number>;
  readonly pipelineVariables: Record<string, string>;
  readonly pipelineImage: string | undefined;
  readonly pipelineTimeout: number | undefined;
  readonly pipelineRetry: number;
}

/** Settings a stage passes down to the stages inside it. */
interface Inherited {
  readonly variables: Readonly<Record<string, string>>;
  readonly image: string | undefined;
  readonly timeoutSeconds: number | undefined;
  readonly retry: number;
  readonly condition: string | undefined;
  readonly matrix: Readonly<Record<string, string>> | null;
  readonly nameSuffix: string;
  readonly definitionPrefix: string;
}

export function parseJenkinsfile(input: JenkinsParseInput): Pipeline {
  const { file, text } = input;
  const diagnostics: Diagnostic[] = [];
  const empty = (): Pipeline => ({ format: 'jenkins', file, name: file, stages: [], jobs: [], variables: {}, diagnostics });
  const maxChars = input.maxChars ?? 5 * 1024 * 1024;
  if (text.length > maxChars) {
    diagnostics.push(diagnosticAt('error', 'file-too-large', `The Jenkinsfile has ${text.length} characters, more than the limit of ${maxChars}; it is not analysed.`, point(file, 1, 1)));
    return empty();
  }
  if (text.includes('\u0000')) {
    diagnostics.push(diagnosticAt('error', 'binary-file', 'The Jenkinsfile contains NUL bytes: it looks like a binary file, not Groovy.', point(file, 1, 1)));
    return empty();
  }
  const parsed = parseGroovy(text);
  for (const p of parsed.problems) diagnostics.push(diagnosticAt('error', 'groovy-syntax', p.message, point(file, p.line, p.column)));

  const pipelineStatement = parsed.statements.find((s) => s.name === 'pipeline' && s.block !== undefined);
  if (!pipelineStatement) {
    const first = parsed.statements.find((s) => s.name !== 'import' && s.name !== 'library' && !s.name.startsWith('@'));
    if (!first) {
      diagnostics.push(diagnosticAt('warning', 'jenkins-empty', 'The Jenkinsfile defines no pipeline.', point(file, 1, 1)));
    } else {
      diagnostics.push(
        diagnosticAt(
          'warning',
          'jenkins-scripted',
          'This is a scripted pipeline (no `pipeline { ... }` block). Opsloop analyses declarative pipelines only, so its stages are not shown; nothing was guessed.',
          statementRange(file, first),
        ),
      );
    }
    return empty();
  }

  const body = pipelineStatement.block ?? [];
  for (const s of body) {
    if (!pipelineDirectives.has(s.name)) diagnostics.push(unknownKeyDiagnostic(s.name || firstLine(s.text, 30), 'pipeline', statementRange(file, s)));
  }
  const variables = environmentOf(body, file, diagnostics);
  const options = optionsOf(body);
  const ctx: Context = {
    file,
    diagnostics,
    jobs: [],
    names: new Map(),
    pipelineVariables: variables,
    pipelineImage: imageOf(body),
    pipelineTimeout: options.timeoutSeconds,
    pipelineRetry: options.retry,
  };
  const stagesBlock = body.find((s) => s.name === 'stages');
  if (!stagesBlock?.block) {
    diagnostics.push(diagnosticAt('error', 'jenkins-no-stages', 'The pipeline has no `stages { ... }` block.', statementRange(file, pipelineStatement)));
    return { format: 'jenkins', file, name: file, stages: [], jobs: [], variables, diagnostics };
  }
  const inherited: Inherited = {
    variables: {},
    image: ctx.pipelineImage,
    timeoutSeconds: ctx.pipelineTimeout,
    retry: ctx.pipelineRetry,
    condition: undefined,
    matrix: null,
    nameSuffix: '',
    definitionPrefix: '',
  };
  const stages: Stage[] = [];
  for (const s of stagesBlock.block) {
    if (s.name !== 'stage') {
      diagnostics.push(unknownKeyDiagnostic(s.name || firstLine(s.text, 30), 'stages', statementRange(file, s)));
      continue;
    }
    const name = stageName(s, file, diagnostics);
    const before = ctx.jobs.length;
    expandStage(ctx, s, name, name, null, inherited);
    stages.push({ name, jobs: ctx.jobs.slice(before).map((j) => j.id) });
  }
  if (stages.length === 0) diagnostics.push(diagnosticAt('error', 'jenkins-no-stages', 'The `stages` block has no stage.', statementRange(file, stagesBlock)));
  return { format: 'jenkins', file, name: file, stages, jobs: ctx.jobs, variables, diagnostics };
}

/**
 * Turns a stage into jobs. Returns the job names that later sequential stages wait for.
 * `entryNeeds` is null for a top-level stage (ordered by stage), else the jobs it waits for.
 */
function expandStage(ctx: Context, s: Statement, name: string, planStage: string, entryNeeds: Need[] | null, outer: Inherited): string[] {
  const block = s.block ?? [];
  for (const d of block) {
    if (!stageDirectives.has(d.name)) ctx.diagnostics.push(unknownKeyDiagnostic(d.name || firstLine(d.text, 30), `stage '${name}'`, statementRange(ctx.file, d)));
  }
  const options = optionsOf(block);
  const whenBlock = block.find((d) => d.name === 'when');
  const condition = joinConditions(outer.condition, whenBlock ? compact(whenBlock.blockText ?? '') : undefined);
  const inherited: Inherited = {
    ...outer,
    variables: { ...outer.variables, ...environmentOf(block, ctx.file, ctx.diagnostics) },
    image: imageOf(block) ?? outer.image,
    timeoutSeconds: options.timeoutSeconds ?? outer.timeoutSeconds,
    retry: options.retry || outer.retry,
    condition,
  };
  const kinds = block.filter((d) => d.name === 'steps' || d.name === 'parallel' || d.name === 'stages' || d.name === 'matrix');
  if (kinds.length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Stage '${name}' has none of steps, parallel, stages or matrix.`, statementRange(ctx.file, s)));
    return [];
  }
  if (kinds.length > 1) {
    ctx.diagnostics.push(
      diagnosticAt('error', 'jenkins-stage-kinds', `Stage '${name}' may have only one of steps, parallel, stages or matrix; it has ${kinds.map((k) => k.name).join(', ')}.`, statementRange(ctx.file, s)),
    );
  }
  const kind = kinds[0]!;
  switch (kind.name) {
    case 'steps':
      return [addJob(ctx, s, name, planStage, entryNeeds, inherited, kind, block)];
    case 'parallel': {
      const exits: string[] = [];
      for (const branch of kind.block ?? []) {
        if (branch.name !== 'stage') {
          ctx.diagnostics.push(unknownKeyDiagnostic(branch.name || firstLine(branch.text, 30), `parallel of '${name}'`, statementRange(ctx.file, branch)));
          continue;
        }
        const branchName = stageName(branch, ctx.file, ctx.diagnostics);
        exits.push(...expandStage(ctx, branch, branchName, planStage, entryNeeds, inherited));
      }
      return exits;
    }
    case 'stages':
      return expandSequence(ctx, kind.block ?? [], planStage, entryNeeds, inherited, name);
    case 'matrix':
      return expandMatrix(ctx, kind, name, planStage, entryNeeds, inherited);
    default:
      return [];
  }
}

function expandSequence(ctx: Context, statements: readonly Statement[], planStage: string, entryNeeds: Need[] | null, inherited: Inherited, parentName: string): string[] {
  let needs = entryNeeds;
  let exits: string[] = [];
  for (const inner of statements) {
    if (inner.name !== 'stage') {
      ctx.diagnostics.push(unknownKeyDiagnostic(inner.name || firstLine(inner.text, 30), `stages of '${parentName}'`, statementRange(ctx.file, inner)));
      continue;
    }
    const innerName = stageName(inner, ctx.file, ctx.diagnostics);
    const produced = expandStage(ctx, inner, innerName, planStage, needs, inherited);
    if (produced.length > 0) {
      exits = produced;
      needs = produced.map((job) => ({ job, optional: false, artifacts: true }));
    }
  }
  return exits;
}

/** `matrix { axes { axis { name 'OS'; values 'linux', 'mac' } } excludes { ... } stages { ... } }`. */
function expandMatrix(ctx: Context, matrix: Statement, name: string, planStage: string, entryNeeds: Need[] | null, inherited: Inherited): string[] {
  const block = matrix.block ?? [];
  const axes: { name: string; values: string[] }[] = [];
  for (const axis of block.find((d) => d.name === 'axes')?.block ?? []) {
    if (axis.name !== 'axis') continue;
    const axisName = axis.block?.find((d) => d.name === 'name');
    const values = axis.block?.find((d) => d.name === 'values');
    const n = axisName ? literal(axisName.args[0]?.value) : undefined;
    if (!n || !values) {
      ctx.diagnostics.push(diagnosticAt('error', 'jenkins-matrix', `An axis of the matrix in '${name}' needs a name and values.`, statementRange(ctx.file, axis)));
      continue;
    }
    axes.push({ name: n, values: values.args.map((a) => literal(a.value) ?? valueText(a.value)) });
  }
  if (axes.length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'jenkins-matrix', `The matrix in '${name}' has no axes.`, statementRange(ctx.file, matrix)));
    return [];
  }
  const maxCells = 256;
  const size = axes.reduce((n, a) => n * Math.max(1, a.values.length), 1);
  if (size > maxCells * 4) {
    ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `The matrix in '${name}' has ${size} cells; Opsloop shows at most ${maxCells}.`, statementRange(ctx.file, matrix)));
    return [];
  }
  let cells: Record<string, string>[] = [{}];
  for (const axis of axes) cells = cells.flatMap((cell) => axis.values.map((v) => ({ ...cell, [axis.name]: v })));
  const excludes = (block.find((d) => d.name === 'excludes')?.block ?? []).filter((d) => d.name === 'exclude');
  cells = cells.filter((cell) => !excludes.some((ex) => excludeMatches(ex, cell)));
  if (cells.length > maxCells) {
    ctx.diagnostics.push(diagnosticAt('error', 'matrix-too-large', `The matrix in '${name}' has ${cells.length} cells, more than ${maxCells}; only the first ${maxCells} are shown.`, statementRange(ctx.file, matrix)));
    cells = cells.slice(0, maxCells);
  }
  const stages = block.find((d) => d.name === 'stages');
  if (!stages?.block || stages.block.length === 0) {
    ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `The matrix in '${name}' has no stages.`, statementRange(ctx.file, matrix)));
    return [];
  }
  const matrixOptions: Inherited = {
    ...inherited,
    variables: { ...inherited.variables, ...environmentOf(block, ctx.file, ctx.diagnostics) },
    image: imageOf(block) ?? inherited.image,
  };
  const exits: string[] = [];
  for (const cell of cells) {
    const label = Object.entries(cell)
      .map(([k, v]) => `${k} = '${v}'`)
      .join(', ');
    exits.push(
      ...expandSequence(
        ctx,
        stages.block,
        planStage,
        entryNeeds,
        { ...matrixOptions, variables: { ...matrixOptions.variables, ...cell }, matrix: { ...(inherited.matrix ?? {}), ...cell }, nameSuffix: `${inherited.nameSuffix} (${label})`, definitionPrefix: `${inherited.definitionPrefix}${name} / ` },
        name,
      ),
    );
  }
  return exits;
}

function excludeMatches(exclude: Statement, cell: Record<string, string>): boolean {
  const axes = (exclude.block ?? []).filter((d) => d.name === 'axis');
  if (axes.length === 0) return false;
  return axes.every((axis) => {
    const n = literal(axis.block?.find((d) => d.name === 'name')?.args[0]?.value);
    const values = axis.block?.find((d) => d.name === 'values');
    const notValues = axis.block?.find((d) => d.name === 'notValues');
    if (!n || !(n in cell)) return false;
    if (values) return values.args.some((a) => literal(a.value) === cell[n]);
    if (notValues) return !notValues.args.some((a) => literal(a.value) === cell[n]);
    return false;
  });
}

function addJob(ctx: Context, s: Statement, stage: string, planStage: string, needs: Need[] | null, inherited: Inherited, stepsBlock: Statement, block: readonly Statement[]): string {
  const name = `${stage}${inherited.nameSuffix}`;
  const seen = ctx.names.get(name) ?? 0;
  ctx.names.set(name, seen + 1);
  const range = statementRange(ctx.file, s);
  if (seen > 0) ctx.diagnostics.push(diagnosticAt('error', 'duplicate-name', `Stage name '${stage}' is used more than once; Jenkins requires unique stage names.`, range));
  const id = `${ctx.file}#${name}${seen > 0 ? ` #${seen + 1}` : ''}`;
  const steps: Step[] = [];
  collectSteps(ctx, stepsBlock.block ?? [], steps, {}, 'main');
  for (const post of block.filter((d) => d.name === 'post')) {
    for (const condition of post.block ?? []) {
      if (!postConditions.has(condition.name)) {
        ctx.diagnostics.push(unknownKeyDiagnostic(condition.name || firstLine(condition.text, 30), `post of '${stage}'`, statementRange(ctx.file, condition)));
        continue;
      }
      const before = steps.length;
      collectSteps(ctx, condition.block ?? [], steps, {}, 'after');
      for (let i = before; i < steps.length; i++) steps[i] = { ...steps[i]!, condition: `post: ${condition.name}` };
    }
  }
  if (!steps.some((step) => step.phase === 'main')) {
    ctx.diagnostics.push(diagnosticAt('error', 'empty-job', `Stage '${stage}' has an empty steps block.`, statementRange(ctx.file, stepsBlock)));
  }
  const job: Job = {
    id,
    name,
    definition: `${inherited.definitionPrefix}${stage}`,
    stage: planStage,
    needs,
    matrix: inherited.matrix,
    ...(inherited.condition !== undefined ? { condition: inherited.condition } : {}),
    when: whenOf(block),
    allowFailure: false,
    retry: inherited.retry,
    ...(inherited.timeoutSeconds !== undefined ? { timeoutSeconds: inherited.timeoutSeconds } : {}),
    variables: { ...ctx.pipelineVariables, ...inherited.variables },
    steps,
    ...(inherited.image ? { image: inherited.image } : {}),
    source: range,
  };
  ctx.jobs.push(job);
  return name;
}

/** `input { ... }` makes a stage wait for a person: GitLab's manual. */
function whenOf(block: readonly Statement[]): When {
  return block.some((d) => d.name === 'input') ? 'manual' : 'on_success';
}

interface StepScope {
  readonly workingDirectory?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutSeconds?: number;
}

const maxSteps = 10_000;

function collectSteps(ctx: Context, statements: readonly Statement[], steps: Step[], scope: StepScope, phase: 'main' | 'after'): void {
  for (const s of statements) {
    if (steps.length >= maxSteps) return;
    const range = statementRange(ctx.file, s);
    const common = {
      phase,
      range,
      ...(scope.workingDirectory ? { workingDirectory: scope.workingDirectory } : {}),
      ...(scope.env && Object.keys(scope.env).length > 0 ? { env: scope.env } : {}),
      ...(scope.timeoutSeconds !== undefined ? { timeoutSeconds: scope.timeoutSeconds } : {}),
    };
    const shell = shellSteps[s.name];
    if (shell !== undefined) {
      const script = scriptArg(s.args);
      if (script === undefined) {
        ctx.diagnostics.push(diagnosticAt('error', 'jenkins-step', `'${s.name}' needs a script.`, range));
        continue;
      }
      const label = namedArg(s.args, 'label');
      steps.push({ name: label ?? firstLine(script), kind: 'script', script, shell, ...common });
      continue;
    }
    if (s.name === 'dir' && s.block) {
      const path = literal(s.args[0]?.value) ?? namedArg(s.args, 'path');
      const workingDirectory = path === undefined ? scope.workingDirectory : scope.workingDirectory ? `${scope.workingDirectory}/${path}` : path;
      collectSteps(ctx, s.block, steps, { ...scope, ...(workingDirectory ? { workingDirectory } : {}) }, phase);
      continue;
    }
    if (s.name === 'withEnv' && s.block) {
      const env: Record<string, string> = { ...(scope.env ?? {}) };
      const list = s.args[0]?.value;
      if (list?.kind === 'list') {
        for (const item of list.items) {
          const text = literal(item.value);
          const eq = text?.indexOf('=') ?? -1;
          if (text !== undefined && eq > 0) env[text.slice(0, eq)] = text.slice(eq + 1);
        }
      }
      collectSteps(ctx, s.block, steps, { ...scope, env }, phase);
      continue;
    }
    if (s.name === 'timeout' && s.block) {
      const seconds = timeoutSecondsOf(s.args);
      collectSteps(ctx, s.block, steps, { ...scope, ...(seconds !== undefined ? { timeoutSeconds: seconds } : {}) }, phase);
      continue;
    }
    if ((s.name === 'retry' || s.name === 'catchError' || s.name === 'warnError' || s.name === 'ansiColor' || s.name === 'timestamps') && s.block) {
      collectSteps(ctx, s.block, steps, scope, phase);
      continue;
    }
    if (s.name === '') continue;
    const label = s.name === 'echo' ? `echo ${firstLine(literal(s.args[0]?.value) ?? valueText(s.args[0]?.value ?? { kind: 'expr', text: '' }))}` : firstLine(s.text, 60);
    steps.push({ name: label, kind: 'uses', uses: s.name, ...common });
  }
}

function scriptArg(args: readonly GroovyArg[]): string | undefined {
  const named = args.find((a) => a.name === 'script');
  if (named) return literal(named.value) ?? valueText(named.value);
  const first = args.find((a) => a.name === undefined);
  return first ? (literal(first.value) ?? valueText(first.value)) : undefined;
}

function namedArg(args: readonly GroovyArg[], name: string): string | undefined {
  const arg = args.find((a) => a.name === name);
  return arg ? literal(arg.value) : undefined;
}

/** A string or number literal's text; undefined for anything computed. */
function literal(value: GroovyValue | undefined): string | undefined {
  if (!value) return undefined;
  if (value.kind === 'string' || value.kind === 'number') return value.text;
  if (value.kind === 'ident' && (value.text === 'true' || value.text === 'false')) return value.text;
  return undefined;
}

function environmentOf(block: readonly Statement[], file: string, diagnostics: Diagnostic[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const env of block.filter((d) => d.name === 'environment')) {
    for (const entry of env.block ?? []) {
      if (entry.assigned === undefined) {
        if (entry.name !== '') diagnostics.push(diagnosticAt('warning', 'jenkins-environment', `Expected NAME = value in environment, found '${firstLine(entry.text, 40)}'.`, statementRange(file, entry)));
        continue;
      }
      out[entry.name] = literal(entry.assigned) ?? valueText(entry.assigned);
    }
  }
  return out;
}

function imageOf(block: readonly Statement[]): string | undefined {
  const agent = block.find((d) => d.name === 'agent');
  const docker = agent?.block?.find((d) => d.name === 'docker');
  if (!docker) return undefined;
  const direct = literal(docker.args[0]?.value);
  if (direct) return direct;
  const image = docker.block?.find((d) => d.name === 'image');
  return literal(image?.args[0]?.value) ?? namedArg(docker.args, 'image');
}

function optionsOf(block: readonly Statement[]): { timeoutSeconds?: number; retry: number } {
  const options = block.find((d) => d.name === 'options');
  let timeoutSeconds: number | undefined;
  let retry = 0;
  for (const o of options?.block ?? []) {
    if (o.name === 'timeout') timeoutSeconds = timeoutSecondsOf(o.args);
    if (o.name === 'retry') {
      const count = Number(literal(o.args[0]?.value) ?? namedArg(o.args, 'count'));
      // retry(3) means three attempts in all; the plan counts the retries after the first.
      if (Number.isInteger(count) && count > 1) retry = count - 1;
    }
  }
  return { ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}), retry };
}

const unitSeconds: Readonly<Record<string, number>> = { NANOSECONDS: 1e-9, MICROSECONDS: 1e-6, MILLISECONDS: 1e-3, SECONDS: 1, MINUTES: 60, HOURS: 3600, DAYS: 86400 };

function timeoutSecondsOf(args: readonly GroovyArg[]): number | undefined {
  const time = Number(namedArg(args, 'time') ?? literal(args.find((a) => a.name === undefined)?.value));
  if (!Number.isFinite(time) || time <= 0) return undefined;
  const unitArg = args.find((a) => a.name === 'unit')?.value;
  const unit = unitArg ? (literal(unitArg) ?? valueText(unitArg)).replace(/^.*\./, '') : 'MINUTES';
  return time * (unitSeconds[unit] ?? 60);
}

function stageName(s: Statement, file: string, diagnostics: Diagnostic[]): string {
  const name = literal(s.args[0]?.value) ?? (s.args[0] ? valueText(s.args[0].value) : undefined);
  if (name === undefined || name === '') {
    diagnostics.push(diagnosticAt('error', 'jenkins-stage-name', 'A stage needs a name: stage(\'Build\') { ... }.', statementRange(file, s)));
    return `stage at line ${s.start.line}`;
  }
  return name;
}

function joinConditions(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return `${a}; ${b}`;
}

function compact(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function statementRange(file: string, s: Statement): SourceRange {
  return { file, startLine: s.start.line, startColumn: s.start.column, endLine: s.end.line, endColumn: s.end.column };
}

function point(file: string, line: number, column: number): SourceRange {
  return { file, startLine: line, startColumn: column, endLine: line, endColumn: column };
}
