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

  static is(value: unknown, kind?: ErrorKind): value is OpsloopError {
    return value instanceof OpsloopError && (kind === undefined || value.kind === kind);
  }
}

/** A message for any thrown value, without leaking stack traces to the person. */
export function describeError(value: unknown): string {
  if (value instanceof Error) return value.message;
  return String(value);
}
