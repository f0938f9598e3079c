/**
 * Credentials for the CLI, from the environment:
 *
 *     OPSLOOP_TOKEN_<SOURCE>     the token (Datadog: the API key)
 *     OPSLOOP_APP_KEY_<SOURCE>   Datadog's application key
 *     OPSLOOP_ORIGIN_<SOURCE>    the origin the token may go to (https://prom.example:9090)
 *
 * <SOURCE> is the source's name in upper case with every other character as `_` ("prod-eu" →
 * PROD_EU). The origin pin is the CLI's form of the confirmation VS Code asks for: the URL comes
 * from the workspace's .opsloop.yml, which a pull request can change, so in CI (CI=true) a token
 * is only sent when OPSLOOP_ORIGIN_<SOURCE> names that exact origin; outside CI an unpinned
 * token is sent and the origin is said on stderr.
 */
import { isHttpSource, type SourceConfig } from '../../core/config/opsloopConfig';
import { OpsloopError } from '../../core/errors';
import type { CredentialLookup, SourceCredentials } from './telemetrySource';

export function envName(source: string): string {
  return source.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

export function envCredentials(env: Readonly<Record<string, string | undefined>>, notice: (text: string) => void): CredentialLookup {
  const told = new Set<string>();
  return async (source: SourceConfig): Promise<SourceCredentials | undefined> => {
    if (!isHttpSource(source)) return undefined;
    const key = envName(source.name);
    const token = env[`OPSLOOP_TOKEN_${key}`];
    const applicationKey = env[`OPSLOOP_APP_KEY_${key}`];
    if (!token && !applicationKey) return undefined;
    const origin = new URL(source.url).origin;
    const pinned = env[`OPSLOOP_ORIGIN_${key}`];
    if (pinned !== undefined && pinned !== '') {
      let pinnedOrigin: string;
      try {
        pinnedOrigin = new URL(pinned).origin;
      } catch {
        throw new OpsloopError('invalidInput', `OPSLOOP_ORIGIN_${key} is not a URL: ${pinned}`);
      }
      if (pinnedOrigin !== origin) {
        throw new OpsloopError(
          'untrusted',
          `The configuration points source '${source.name}' at ${origin}, but OPSLOOP_ORIGIN_${key} allows its token only for ${pinnedOrigin}; no token was sent.`,
        );
      }
    } else if (isCi(env)) {
      throw new OpsloopError(
        'untrusted',
        `In CI a token goes only to a pinned origin: set OPSLOOP_ORIGIN_${key}=${origin} if the token in OPSLOOP_TOKEN_${key} belongs there (the URL comes from the workspace's configuration, which a change could point elsewhere).`,
      );
    } else if (!told.has(key)) {
      told.add(key);
      notice(`opsloop: sending the token in OPSLOOP_TOKEN_${key} to ${origin} (pin it with OPSLOOP_ORIGIN_${key}=${origin}).\n`);
    }
    return { ...(token ? { token } : {}), ...(applicationKey ? { applicationKey } : {}) };
  };
}

function isCi(env: Readonly<Record<string, string | undefined>>): boolean {
  const ci = env.CI;
  return ci !== undefined && ci !== '' && ci !== '0' && ci.toLowerCase() !== 'false';
}
