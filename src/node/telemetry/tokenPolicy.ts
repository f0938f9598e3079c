/**
 * Where a token may go, in one place (reliability items 1, 3 and 6), for the extension's
 * telemetry service: tokens are stored per origin and only ever sent to it; a URL that comes
 * from the workspace is confirmed by the person before a token goes there; in Restricted Mode
 * nothing is fetched over the network at all.
 */
import { isHttpSource, type SourceConfig } from '../../core/config/opsloopConfig';
import { isLoopback } from '../../core/config/validateConfig';
import { OpsloopError } from '../../core/errors';
import { describeSource } from './telemetrySource';

/** The SecretStorage key of an origin's credentials. The origin is part of it: a token stored for one origin is never found for another. */
export function secretKey(origin: string): string {
  return `opsloop.telemetry.token/${origin}`;
}

export function originOf(source: SourceConfig): string | undefined {
  return isHttpSource(source) ? new URL(source.url).origin : undefined;
}

/**
 * Refuses what Restricted Mode does not allow: any request to a server (a workspace could point
 * Opsloop at an internal address), and files outside the workspace. Files inside it are fine.
 */
export function checkAllowed(source: SourceConfig, trusted: boolean): void {
  if (trusted) return;
  if (isHttpSource(source)) {
    throw new OpsloopError(
      'untrusted',
      `${describeSource(source)}: Opsloop sends no requests from a folder in Restricted Mode. Trust the folder to query this source; recorded telemetry files still work.`,
      'Manage Workspace Trust',
    );
  }
}

/** The question shown before the first token goes to a workspace-configured origin. */
export function consentQuestion(source: SourceConfig, origin: string): { message: string; detail: string } {
  const plain = origin.startsWith('http:') && !isLoopback(new URL(origin).hostname);
  return {
    message: `Send your ${source.kind} token to ${origin}?`,
    detail:
      `This workspace's configuration names ${origin} as the URL of source '${source.name}'. ` +
      `Opsloop will send the token stored for that origin to it, and only to it.` +
      (plain ? ' The connection is plain http: the token would travel unencrypted.' : '') +
      ' Allow this only if you know the server.',
  };
}

/** Credentials as stored: one secret per origin, JSON with the token (and Datadog's application key). */
export interface StoredCredentials {
  readonly token: string;
  readonly applicationKey?: string;
}

export function encodeStored(c: StoredCredentials): string {
  return JSON.stringify(c.applicationKey ? { token: c.token, applicationKey: c.applicationKey } : { token: c.token });
}

export function decodeStored(text: string | undefined): StoredCredentials | undefined {
  if (!text) return undefined;
  try {
    const o = JSON.parse(text) as { token?: unknown; applicationKey?: unknown };
    if (typeof o.token !== 'string' || o.token === '') return undefined;
    return typeof o.applicationKey === 'string' && o.applicationKey !== '' ? { token: o.token, applicationKey: o.applicationKey } : { token: o.token };
  } catch {
    return undefined;
  }
}

/** Why a token text cannot be used (it goes into an HTTP header), or undefined when it can. */
export function tokenProblem(text: string): string | undefined {
  if (text.trim() !== text) return 'The token starts or ends with a space.';
  if (/[\r\n\t]/.test(text)) return 'The token contains a line break or tab.';
  if (/[^\x20-\x7e]/.test(text)) return 'The token contains characters an HTTP header cannot carry.';
  return undefined;
}
