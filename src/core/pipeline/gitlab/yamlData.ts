import { YamlReference } from '../yaml/yamlLoader';

/** A YAML mapping as loaded: a plain object (never an array or a `!reference`). */
export type YamlMap = Record<string, unknown>;

export function isMap(value: unknown): value is YamlMap {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof YamlReference);
}

export function has(map: YamlMap, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(map, key);
}

/** Reads an own key only (a key named `constructor` or `__proto__` is data, never the prototype). */
export function get(map: YamlMap, key: string): unknown {
  return has(map, key) ? map[key] : undefined;
}

/** Writes an own key, also for `__proto__`, without touching any prototype. */
export function set(map: YamlMap, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(map, key, { value, enumerable: true, configurable: true, writable: true });
  else map[key] = value;
}

/**
 * A shallow copy that keeps `__proto__` keys as data: object spread defines own properties (it
 * never calls the `__proto__` setter) and copies in one step what a loop would add key by key.
 */
export function copyMap(map: YamlMap): YamlMap {
  return { ...map };
}

/**
 * GitLab's deep merge (ActiveSupport `Hash#deep_merge`): mappings merge key by key, recursively;
 * anything else (lists, scalars, references) on the right replaces the left. Neither side is changed.
 */
export function deepMerge(left: unknown, right: unknown): unknown {
  if (!isMap(left) || !isMap(right)) return right;
  const out = copyMap(left);
  for (const key in right) {
    if (!has(right, key)) continue;
    const r = right[key];
    set(out, key, has(out, key) && isMap(out[key]) && isMap(r) ? deepMerge(out[key], r) : r);
  }
  return out;
}

/** A scalar as GitLab turns it into text (numbers and booleans as written); undefined for others. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A list, flattened the way GitLab flattens nested arrays in scripts and rules (at most 10 levels). */
export function flatten(value: unknown, depth = 10): unknown[] {
  if (!Array.isArray(value)) return [value];
  const out: unknown[] = [];
  for (const item of value) {
    if (Array.isArray(item) && depth > 0) out.push(...flatten(item, depth - 1));
    else out.push(item);
  }
  return out;
}

/** Short text of a value for messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 39)}…` : value}"`;
  if (Array.isArray(value)) return 'a list';
  if (value instanceof YamlReference) return 'a !reference';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}
