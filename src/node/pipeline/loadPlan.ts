import { readFileSync, realpathSync, statSync } from 'node:fs';
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { describeError, OpsloopError } from '../../core/errors';
import { parseAzurePipeline } from '../../core/pipeline/azure/azureParser';
import { pipelineFormatOf } from '../../core/pipeline/formats';
import { parseGithubWorkflow } from '../../core/pipeline/github/githubParser';
import { parseGitlabPipeline } from '../../core/pipeline/gitlab/gitlabParser';
import { parseJenkinsfile } from '../../core/pipeline/jenkins/jenkinsParser';
import type { Diagnostic, Pipeline, PipelineFormat, Plan } from '../../core/pipeline/model';
import { memoryFileSource } from '../../core/pipeline/gitlab/gitlabContext';
import { normalizeRelativePath, type ReadWorkspaceFile } from '../../core/pipeline/parserSupport';
import { validatePlan } from '../../core/pipeline/validate';
import { defaultYamlLimits } from '../../core/pipeline/yaml/yamlLoader';
import { discoverPipelineFiles } from './discovery';
import { type GitlabInputs, type GitlabSourceOptions, prepareGitlabInputs } from './gitlabSource';

export interface LoadPlanOptions {
  /** Pipeline files to read (workspace-relative or absolute); default: discover them all. */
  readonly files?: readonly string[];
  readonly signal?: AbortSignal;
  /** Largest file read, in bytes (default: the YAML loader's limit, 4 MiB). */
  readonly maxFileBytes?: number;
  /**
   * May git run (for GitLab's pipeline context: branch, changed files, repository listing)?
   * Default true; the extension passes false in Restricted Mode (reliability.md item 19).
   */
  readonly useGit?: boolean;
  /** The GitLab pipeline to plan for: pipeline source, variables, another branch or tag. */
  readonly gitlab?: Pick<GitlabSourceOptions, 'pipelineSource' | 'variables' | 'branch' | 'tag' | 'gitPath'>;
}

/**
 * The validated plan of a workspace: each pipeline file read and parsed by its format's parser,
 * then the plan-wide checks. Never throws for bad input (it becomes diagnostics); throws
 * OpsloopError('cancelled') when the signal fires, and OpsloopError('notFound') when the root
 * folder does not exist. Reads files only; runs nothing, so it is safe in Restricted Mode.
 */
export async function loadWorkspacePlan(root: string, options: LoadPlanOptions = {}): Promise<Plan> {
  const rootPath = resolve(root);
  try {
    if (!(await stat(rootPath)).isDirectory()) throw new OpsloopError('invalidInput', `${rootPath} is not a folder.`);
  } catch (error) {
    if (OpsloopError.is(error)) throw error;
    throw new OpsloopError('notFound', `The folder ${rootPath} does not exist.`, undefined, { cause: error });
  }
  const maxBytes = options.maxFileBytes ?? defaultYamlLimits.maxBytes;
  const planDiagnostics: Diagnostic[] = [];
  const targets: { path: string; format: PipelineFormat | undefined }[] = [];
  if (options.files && options.files.length > 0) {
    for (const f of options.files) {
      const absolute = isAbsolute(f) ? f : join(rootPath, f);
      const rel = normalizeRelativePath(relative(rootPath, absolute).split(sep).join('/'));
      if (!rel) {
        planDiagnostics.push(planDiagnostic('error', 'file-outside-workspace', `${f} is not inside ${rootPath}.`, f.replace(/\\/g, '/')));
        continue;
      }
      if (!targets.some((t) => t.path === rel)) targets.push({ path: rel, format: pipelineFormatOf(rel) });
    }
  } else {
    for (const found of await discoverPipelineFiles(rootPath)) targets.push(found);
  }

  const readFile = workspaceReader(rootPath, maxBytes);
  let gitlabInputs: Promise<GitlabInputs> | undefined;
  const gitlab = (): Promise<GitlabInputs> =>
    (gitlabInputs ??= prepareGitlabInputs(rootPath, {
      ...options.gitlab,
      useGit: options.useGit !== false,
      maxFileBytes: maxBytes,
      ...(options.signal ? { signal: options.signal } : {}),
    }));
  const pipelines: Pipeline[] = [];
  const files: string[] = [];
  for (const target of targets) {
    if (options.signal?.aborted) throw new OpsloopError('cancelled', 'Loading the pipelines was cancelled.');
    files.push(target.path);
    const read = await readPipelineFile(rootPath, target.path, maxBytes);
    if (typeof read !== 'string') {
      planDiagnostics.push(read);
      continue;
    }
    const format = target.format ?? guessFormat(target.path, read);
    if (!target.format) {
      planDiagnostics.push(planDiagnostic('info', 'format-guessed', `${target.path} is not at a place a CI looks for; read as ${format} from its content.`, target.path));
    }
    if (format === 'gitlab') {
      pipelines.push(await parseGitlabFile(target.path, read, gitlab));
      continue;
    }
    pipelines.push(parseFile(format, target.path, read, readFile));
  }
  return validatePlan({ files, pipelines, diagnostics: planDiagnostics });
}

/** Parses one pipeline file; a parser's unexpected failure becomes a diagnostic, not a lost plan. */
export function parseFile(format: PipelineFormat, file: string, text: string, readFile: ReadWorkspaceFile | undefined): Pipeline {
  try {
    switch (format) {
      case 'github':
        return parseGithubWorkflow({ file, text, ...(readFile ? { readFile } : {}) });
      case 'azure':
        return parseAzurePipeline({ file, text, ...(readFile ? { readFile } : {}) });
      case 'jenkins':
        return parseJenkinsfile({ file, text });
      case 'gitlab': {
        // Without the repository listing and git: only this text, planned for a push to main.
        const source = memoryFileSource({ [file]: text });
        return parseGitlabPipeline({ file, text, source: readFile ? { read: (p) => (p === file ? text : readFile(p)), glob: source.glob } : source, context: { pipelineSource: 'push', branch: 'main' } });
      }
    }
  } catch (error) {
    return failedPipeline(format, file, error);
  }
}

/** A GitLab pipeline with the repository's files and git context (prepared once per plan). */
async function parseGitlabFile(file: string, text: string, inputs: () => Promise<GitlabInputs>): Promise<Pipeline> {
  let prepared: GitlabInputs;
  try {
    prepared = await inputs();
  } catch (error) {
    if (OpsloopError.is(error, 'cancelled')) throw error;
    return failedPipeline('gitlab', file, error);
  }
  try {
    return parseGitlabPipeline({ file, text, source: prepared.source, context: prepared.context });
  } catch (error) {
    return failedPipeline('gitlab', file, error);
  }
}

function failedPipeline(format: PipelineFormat, file: string, error: unknown): Pipeline {
  return {
    format,
    file,
    name: file,
    stages: [],
    jobs: [],
    variables: {},
    diagnostics: [planDiagnostic('error', 'internal-error', `Opsloop could not analyse this file: ${describeError(error)}`, file)],
  };
}

/** Reads a pipeline file with a size cap; a problem is returned as a diagnostic. */
async function readPipelineFile(root: string, path: string, maxBytes: number): Promise<string | Diagnostic> {
  const absolute = join(root, path);
  try {
    const real = await realpath(absolute);
    const realRoot = await realpath(root);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) {
      return planDiagnostic('error', 'file-outside-workspace', `${path} links to a file outside the workspace; it is not read.`, path);
    }
    const info = await stat(real);
    if (!info.isFile()) return planDiagnostic('error', 'file-not-found', `${path} is not a file.`, path);
    if (info.size > maxBytes) {
      return planDiagnostic('error', 'file-too-large', `${path} is ${formatBytes(info.size)}, more than the ${formatBytes(maxBytes)} Opsloop reads; it was not read.`, path);
    }
    const handle = await open(real, 'r');
    try {
      const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > maxBytes) return planDiagnostic('error', 'file-too-large', `${path} grew past ${formatBytes(maxBytes)} while it was read; it was not read.`, path);
      return buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return planDiagnostic('error', 'file-not-found', `${path} does not exist.`, path);
    return planDiagnostic('error', 'file-unreadable', `${path} could not be read: ${describeError(error)}`, path);
  }
}

/**
 * Reads other workspace files for the parsers (reusable workflows, templates): only inside
 * the workspace (symbolic links that leave it are refused), with the same size cap. Returns
 * undefined for a file that does not exist; throws OpsloopError for one that cannot be used.
 */
export function workspaceReader(root: string, maxBytes: number): ReadWorkspaceFile {
  let realRoot: string | undefined;
  return (relativePath) => {
    const rel = normalizeRelativePath(relativePath);
    if (!rel) throw new OpsloopError('invalidInput', `${relativePath} is outside the workspace.`);
    const absolute = join(root, rel);
    let real: string;
    try {
      real = realpathSync(absolute);
    } catch {
      return undefined;
    }
    realRoot ??= realpathSync(root);
    if (real !== realRoot && !real.startsWith(realRoot + sep)) throw new OpsloopError('forbidden', `${rel} links outside the workspace.`);
    const info = statSync(real);
    if (!info.isFile()) return undefined;
    if (info.size > maxBytes) throw new OpsloopError('tooLarge', `${rel} is ${formatBytes(info.size)}, more than ${formatBytes(maxBytes)}.`);
    return readFileSync(real, 'utf8');
  };
}

/** The format of a file named on the command line at a place no CI looks, from its name and content. */
export function guessFormat(path: string, text: string): PipelineFormat {
  const name = path.split('/').pop() ?? path;
  if (/jenkinsfile/i.test(name) || name.endsWith('.groovy')) return 'jenkins';
  if (name.includes('gitlab-ci')) return 'gitlab';
  if (name.includes('azure-pipelines')) return 'azure';
  if (path.includes('.github/workflows/')) return 'github';
  if (/^\s*pipeline\s*\{/m.test(text) && !/^\S+:/m.test(text)) return 'jenkins';
  if (/^on:/m.test(text) && /^jobs:/m.test(text)) return 'github';
  if (/^(trigger|pr|pool|extends|resources):/m.test(text) || /^\s*-\s*(stage|job|deployment|script|bash|task):/m.test(text)) return 'azure';
  return 'gitlab';
}

function planDiagnostic(severity: Diagnostic['severity'], code: string, message: string, file: string): Diagnostic {
  return { severity, code, message, file, line: 1, column: 1 };
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}
