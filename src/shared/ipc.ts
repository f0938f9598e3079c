/**
 * Typed messages between the extension host and its webviews (GitLens' IpcCommand /
 * IpcNotification idea): each message is declared once as a spec; both sides derive their
 * types from it, and the receiving side validates every incoming message against it, so a
 * webview can only ask for actions on a fixed list.
 */
export type FieldType = 'string' | 'number' | 'boolean' | 'string?';

/** Message type → its fields and their types. */
export type MessageSpec = Readonly<Record<string, Readonly<Record<string, FieldType>>>>;

type FieldValue<T extends FieldType> = T extends 'string' ? string : T extends 'string?' ? string | undefined : T extends 'number' ? number : boolean;

export type MessageOf<S extends MessageSpec> = {
  [K in keyof S & string]: { readonly type: K } & { readonly [F in keyof S[K]]: FieldValue<S[K][F]> };
}[keyof S & string];

/** Longest string a webview may send: longer is not a legitimate message. */
export const maxFieldLength = 4096;

/**
 * The message if `value` is exactly one of `spec`'s messages (known type, every field of the
 * right type, no other fields), otherwise undefined.
 */
export function parseMessage<S extends MessageSpec>(spec: S, value: unknown): MessageOf<S> | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const type = record.type;
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(spec, type)) return undefined;
  const fields = spec[type]!;
  for (const key of Object.keys(record)) {
    if (key === 'type') continue;
    if (!Object.prototype.hasOwnProperty.call(fields, key)) return undefined;
  }
  for (const [key, fieldType] of Object.entries(fields)) {
    const field = record[key];
    if (fieldType === 'string?' && field === undefined) continue;
    const expected = fieldType === 'string?' ? 'string' : fieldType;
    if (typeof field !== expected) return undefined;
    if (typeof field === 'string' && field.length > maxFieldLength) return undefined;
    if (typeof field === 'number' && !Number.isFinite(field)) return undefined;
  }
  return value as MessageOf<S>;
}

/** A host → webview snapshot message: `{ type: 'snapshot', snapshot }` whose snapshot has the array `key`. */
export function isSnapshotMessage<T>(value: unknown, key: string): value is { readonly type: 'snapshot'; readonly snapshot: T } {
  const v = value as { type?: unknown; snapshot?: Record<string, unknown> } | null;
  return typeof v === 'object' && v !== null && v.type === 'snapshot' && typeof v.snapshot === 'object' && v.snapshot !== null && Array.isArray(v.snapshot[key]);
}
