/**
 * One interface for every place telemetry lives. The telemetry panel, the incident analysis and
 * the CLI only see `TelemetrySource`; each adapter (Prometheus, Dynatrace, Splunk, Datadog,
 * files) turns its API into `SeriesResult`s.
 *
 * Contract of every adapter:
 * - times are Unix seconds, series sorted with duplicate timestamps removed;
 * - incomplete data (a warning from the server, a failed piece of a split range, unreadable
 *   lines in a file) comes back in `partial`, never as silently missing points;
 * - failures are `OpsloopError`s with a kind (`unauthorized` → next step "Set Token");
 * - the `signal` stops the work: requests in flight are aborted, nothing more is started.
 */
import type { SourceConfig, SourceKind } from '../../core/config/opsloopConfig';
import type { Deployment } from '../../core/incidents/model';
import type { LogRecord } from '../../core/telemetry/logs';
import type { DataGap, SeriesResult } from '../../core/telemetry/series';
import type { HttpClient } from '../http/httpClient';

export interface TimeRange {
  /** Unix seconds. */
  readonly start: number;
  readonly end: number;
  /** Seconds between points; chosen from the range when absent. */
  readonly step?: number;
}

export interface LabelRequest {
  /** Values of this label; label names when absent (`__name__` gives metric names). */
  readonly label?: string;
  /** Only series matching this selector. */
  readonly match?: string;
  readonly range?: TimeRange;
}

export interface DeploymentRequest {
  /** The build-info series, e.g. `app_build_info{service="checkout"}`. */
  readonly query: string;
  readonly revisionLabel?: string;
  readonly service?: string;
  readonly environment?: string;
}

export interface DeploymentResult {
  readonly deployments: Deployment[];
  readonly partial?: readonly DataGap[];
  readonly warnings?: readonly string[];
}

export interface LogResult {
  readonly records: LogRecord[];
  readonly partial?: readonly DataGap[];
  readonly warnings?: readonly string[];
}

export interface TelemetrySource {
  readonly name: string;
  readonly kind: SourceKind;
  /** Where requests go (`https://prom.example:9090`); undefined for files. Tokens are bound to it. */
  readonly origin?: string;
  query(q: string, range: TimeRange, signal?: AbortSignal): Promise<SeriesResult>;
  labels?(request: LabelRequest, signal?: AbortSignal): Promise<string[]>;
  deployments?(request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult>;
  /** Log records in the range: of a JSON lines file (`where`: its path) or a search (`where`: the search). */
  logs?(range: TimeRange, signal?: AbortSignal, where?: string): Promise<LogResult>;
}

/** What a source authenticates with. Datadog needs both keys; the others only `token`. */
export interface SourceCredentials {
  readonly token?: string;
  /** Datadog's application key (DD-APPLICATION-KEY); `token` is then the API key. */
  readonly applicationKey?: string;
}

/**
 * Asked before each request, so a token set meanwhile is used. The extension's lookup shows a
 * workspace-configured URL to the person and asks once before it hands out a token for it.
 */
export type CredentialLookup = (source: SourceConfig) => Promise<SourceCredentials | undefined>;

export interface SourceDeps {
  readonly http: HttpClient;
  readonly credentials: CredentialLookup;
  /** Folder that file paths are relative to (the workspace root). */
  readonly root: string;
  /** Whether file sources may read outside `root` (trusted workspaces and the CLI). */
  readonly allowOutsideRoot: boolean;
  /** Requests in flight at once per query (split ranges, pages). */
  readonly concurrency?: number;
  readonly timeoutMs?: number;
  readonly maxBytes?: number;
}

/** "Prometheus 'prod' (https://prom.example:9090)" for messages. */
export function describeSource(source: SourceConfig): string {
  const kind = { prometheus: 'Prometheus', dynatrace: 'Dynatrace', splunk: 'Splunk', datadog: 'Datadog', file: 'File source' }[source.kind];
  return source.kind === 'file' ? `${kind} '${source.name}' (${source.path})` : `${kind} '${source.name}' (${safeOrigin(source.url)})`;
}

export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** Runs `fn` over items with at most `limit` at once, results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(workers);
  return out;
}
