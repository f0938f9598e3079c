/**
 * Errors that cross a layer boundary carry a kind, so callers branch on what happened
 * (GitLens' `PushError.is(ex, 'noUpstream')`) instead of parsing messages.
 */
export type ErrorKind =
  | 'invalidInput'
  | 'limitExceeded'
  | 'notFound'
  | 'unauthorized'
  | 'forbidden'
  | 'timeout'
  | 'cancelled'
  | 'network'
  | 'server'
  | 'tooLarge'
  | 'untrusted'
  | 'unsupported'
  | 'internal';

export class OpsloopError extends Error {
  override readonly name = 'OpsloopError';

  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** What the person can do next, in a few words ("Set token", "Open log"). */
    readonly nextStep?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /**
   * Also true for an OpsloopError of another copy of this module: the lazily loaded table layer
   * (dist/tables.js) is a bundle of its own, and instanceof does not cross bundles.
   */
  static is(value: unknown, kind?: ErrorKind): value is OpsloopError {
    const ours = value instanceof OpsloopError || (value instanceof Error && value.name === 'OpsloopError' && typeof (value as { kind?: unknown }).kind === 'string');
    return ours && (kind === undefined || (value as OpsloopError).kind === kind);
  }
}

/** A message for any thrown value, without leaking stack traces to the person. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
