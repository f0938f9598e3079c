/**
 * The `.opsloop.yml` model: the services of a workspace, where their telemetry lives, which
 * queries matter, where deployments come from and where the logs are. docs/telemetry.md
 * documents every field; schemas/opsloop.schema.json gives editors completion for it.
 */

/** Names Opsloop looks for at the workspace root, first match wins. */
export const configFileNames = ['.opsloop.yml', '.opsloop.yaml', '.opsloop.json'] as const;

export const sourceKinds = ['prometheus', 'dynatrace', 'splunk', 'datadog', 'file'] as const;
export type SourceKind = (typeof sourceKinds)[number];
export const httpSourceKinds: readonly SourceKind[] = ['prometheus', 'dynatrace', 'splunk', 'datadog'];

export const fileFormats = ['openmetrics', 'prometheus', 'csv', 'jsonl'] as const;
export type FileFormat = (typeof fileFormats)[number];

export const deploymentKinds = ['buildInfo', 'pipeline', 'gitTags'] as const;
export type DeploymentKind = (typeof deploymentKinds)[number];

export const logKinds = ['file', 'splunk'] as const;
export type LogKind = (typeof logKinds)[number];

export interface ServiceConfig {
  readonly name: string;
  /** Globs of the workspace's code that belongs to the service (for blame). */
  readonly paths: readonly string[];
  readonly environment?: string;
}

interface SourceBase {
  readonly name: string;
  readonly kind: SourceKind;
  /** Environment the source watches (default `production`): stamped on its deployments. */
  readonly environment?: string;
  /** The finest step worth asking for, in seconds (the scrape interval; default 15 s). */
  readonly minStepSeconds?: number;
  readonly timeoutSeconds?: number;
}

export interface HttpSourceConfig extends SourceBase {
  readonly kind: 'prometheus' | 'dynatrace' | 'splunk' | 'datadog';
  readonly url: string;
  /**
   * Extra request headers that are not secrets (`X-Scope-OrgID` for a Mimir/Cortex/Thanos
   * tenant). Tokens never go here: they live in SecretStorage or the environment.
   */
  readonly headers?: Readonly<Record<string, string>>;
  /** How the token is sent. prometheus: bearer (default) or basic (`user:password`); splunk: bearer (default) or splunk (a session key). */
  readonly auth?: 'bearer' | 'basic' | 'splunk' | 'none';
}

export interface FileSourceConfig extends SourceBase {
  readonly kind: 'file';
  /** Workspace-relative path. */
  readonly path: string;
  /** Default from the extension: .om/.txt/.prom → openmetrics, .csv → csv, .jsonl/.ndjson → jsonl. */
  readonly format?: FileFormat;
  /** For csv: whether numeric times are seconds (default) or milliseconds. */
  readonly timestampUnit?: 'seconds' | 'milliseconds';
}

export type SourceConfig = HttpSourceConfig | FileSourceConfig;

export interface QueryConfig {
  /** Display name ("p99 latency"). */
  readonly name: string;
  readonly source: string;
  readonly query: string;
  readonly service?: string;
  /** Unit for display ("s", "%", "req/s"). */
  readonly unit?: string;
  readonly stepSeconds?: number;
}

export interface BuildInfoDeploymentConfig {
  readonly kind: 'buildInfo';
  readonly source: string;
  readonly query: string;
  readonly service?: string;
  readonly environment?: string;
  /** Label holding the commit (default `revision`). */
  readonly revisionLabel?: string;
}

export interface PipelineDeploymentConfig {
  readonly kind: 'pipeline';
  /** Job name globs that deploy (default: jobs whose name or environment says deploy). */
  readonly jobs?: readonly string[];
  readonly service?: string;
  readonly environment?: string;
}

export interface GitTagsDeploymentConfig {
  readonly kind: 'gitTags';
  /** Tag glob, e.g. `deploy-*`. */
  readonly pattern: string;
  readonly service?: string;
  readonly environment?: string;
}

export type DeploymentConfig = BuildInfoDeploymentConfig | PipelineDeploymentConfig | GitTagsDeploymentConfig;

export interface LogConfig {
  readonly kind: LogKind;
  /** A telemetry source this log belongs to (required for splunk). */
  readonly source?: string;
  /** file: workspace-relative path of a JSON lines file. */
  readonly path?: string;
  /** splunk: the search. */
  readonly query?: string;
  readonly service?: string;
}

export interface OpsloopConfig {
  readonly services: readonly ServiceConfig[];
  readonly sources: readonly SourceConfig[];
  readonly queries: readonly QueryConfig[];
  readonly deployments: readonly DeploymentConfig[];
  readonly logs: readonly LogConfig[];
}

export const emptyConfig: OpsloopConfig = { services: [], sources: [], queries: [], deployments: [], logs: [] };

export function isHttpSource(source: SourceConfig): source is HttpSourceConfig {
  return source.kind !== 'file';
}

/** The file format of a file source: its own `format`, or what its extension says. */
export function fileFormatOf(source: FileSourceConfig): FileFormat | undefined {
  if (source.format) return source.format;
  const lower = source.path.toLowerCase();
  if (/\.(om|openmetrics|txt)$/.test(lower)) return 'openmetrics';
  if (/\.prom$/.test(lower)) return 'prometheus';
  if (lower.endsWith('.csv')) return 'csv';
  if (/\.(jsonl|ndjson|log\.json)$/.test(lower)) return 'jsonl';
  return undefined;
}

/** The default environment of a source's data. */
export function environmentOf(source: SourceConfig): string {
  return source.environment ?? 'production';
}
