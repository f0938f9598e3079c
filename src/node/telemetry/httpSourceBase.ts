/**
 * What the SaaS adapters share: the source's origin, its limits, and a token that must exist
 * before a request is made (Dynatrace, Splunk and Datadog answer nothing without one).
 */
import type { HttpSourceConfig } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import type { SourceCredentials, SourceDeps } from './telemetrySource';
import { describeSource } from './telemetrySource';

export abstract class HttpSourceBase {
  readonly name: string;
  readonly origin: string;
  protected readonly what: string;

  constructor(
    protected readonly config: HttpSourceConfig,
    protected readonly deps: SourceDeps,
  ) {
    this.name = config.name;
    this.origin = new URL(config.url).origin;
    this.what = describeSource(config);
  }

  protected limits(): { timeoutMs?: number; maxBytes?: number } {
    const timeoutMs = this.config.timeoutSeconds !== undefined ? this.config.timeoutSeconds * 1000 : this.deps.timeoutMs;
    return { ...(timeoutMs !== undefined ? { timeoutMs } : {}), ...(this.deps.maxBytes !== undefined ? { maxBytes: this.deps.maxBytes } : {}) };
  }

  protected endpoint(path: string): string {
    return `${this.config.url}${path}`;
  }

  /** The stored credentials, or an `unauthorized` error whose next step is "Set Token". */
  protected async requireCredentials(needsApplicationKey = false): Promise<SourceCredentials & { token: string }> {
    const c = await this.deps.credentials(this.config);
    if (!c?.token) {
      throw new OpsloopError('unauthorized', `${this.what}: no token is set for ${this.origin}.`, 'Set Token');
    }
    if (needsApplicationKey && !c.applicationKey) {
      throw new OpsloopError('unauthorized', `${this.what}: no application key is set for ${this.origin} (Datadog needs an API key and an application key).`, 'Set Token');
    }
    return c as SourceCredentials & { token: string };
  }
}
