/**
 * One model for every pipeline format. Parsers (gitlab, github, azure, jenkins) produce it;
 * the tree, the graph, the runner and the CLI consume it. Lines and columns are 1-based.
 */

export type PipelineFormat = 'gitlab' | 'github' | 'azure' | 'jenkins';

export type Severity = 'error' | 'warning' | 'info';

export interface SourceRange {
  readonly file: string;
  readonly startLine: number;
  readonly startColumn: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface Diagnostic {
  readonly severity: Severity;
  readonly message: string;
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** A stable identifier of the rule ("unknown-need", "yaml-syntax", "extends-cycle"...). */
  readonly code: string;
  readonly endLine?: number;
  readonly endColumn?: number;
}

/** GitLab's `when`; the other formats map onto it. */
export type When = 'on_success' | 'on_failure' | 'always' | 'manual' | 'delayed' | 'never';

export interface Need {
  /** Name of the needed job as the format writes it (a matrix parent name stands for all its instances). */
  readonly job: string;
  readonly optional: boolean;
  readonly artifacts: boolean;
}

export interface Step {
  readonly name: string;
  /** The id other steps use to refer to this one (GitHub `steps.<id>.outputs`), when the format has one. */
  readonly id?: string;
  /** `script`: shell text to run; `uses`: a GitHub action or similar that runs elsewhere. */
  readonly kind: 'script' | 'uses';
  readonly script?: string;
  readonly uses?: string;
  readonly shell?: string;
  readonly workingDirectory?: string;
  readonly env?: Readonly<Record<string, string>>;
  readonly condition?: string;
  readonly continueOnError?: boolean;
  readonly timeoutSeconds?: number;
  /** `after` steps run even when earlier steps failed or the job was cancelled (GitLab after_script). */
  readonly phase: 'main' | 'after';
  readonly range?: SourceRange;
  /**
   * The commands of `script` one by one, when the format runs them as separate commands in one
   * shell and fails on the first that fails (GitLab: before_script + script, after_script).
   */
  readonly lines?: readonly string[];
}

export interface Environment {
  readonly name: string;
  readonly action?: string;
  readonly url?: string;
}

export interface Job {
  /** Unique across the whole plan (several files may define jobs of the same name). */
  readonly id: string;
  /** The name the CI shows, matrix instances included (`test 1/3`, `test: [linux, 20]`). */
  readonly name: string;
  /** The job definition an instance was expanded from (matrix / parallel), else the name. */
  readonly definition: string;
  readonly stage: string;
  /** Explicit needs; null means "ordered by stage" (GitLab without `needs`). */
  readonly needs: readonly Need[] | null;
  readonly matrix: Readonly<Record<string, string>> | null;
  readonly condition?: string;
  readonly when: When;
  readonly allowFailure: boolean;
  readonly allowFailureExitCodes?: readonly number[];
  readonly retry: number;
  readonly timeoutSeconds?: number;
  readonly environment?: Environment;
  readonly variables: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
  readonly image?: string;
  readonly services?: readonly string[];
  readonly artifacts?: { readonly paths: readonly string[] };
  /** Runner tags (GitLab `tags`). */
  readonly tags?: readonly string[];
  /** For `when: 'delayed'`: how long after the job becomes ready it starts (GitLab `start_in`). */
  readonly startInSeconds?: number;
  readonly source: SourceRange;
}

export interface Stage {
  readonly name: string;
  /** Job ids in file order. */
  readonly jobs: readonly string[];
}

export interface Pipeline {
  readonly format: PipelineFormat;
  /** Path relative to the workspace root, with forward slashes. */
  readonly file: string;
  readonly name: string;
  readonly stages: readonly Stage[];
  readonly jobs: readonly Job[];
  readonly variables: Readonly<Record<string, string>>;
  readonly diagnostics: readonly Diagnostic[];
}

export interface Plan {
  readonly files: readonly string[];
  readonly pipelines: readonly Pipeline[];
  readonly diagnostics: readonly Diagnostic[];
}
