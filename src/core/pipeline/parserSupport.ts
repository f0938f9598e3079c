/**
 * Small pieces the GitHub, Azure and Jenkins parsers share: diagnostics with a place, and
 * walking a loaded YAML value while remembering where each part came from (a template or a
 * parameter can carry a value from another file, so the origin travels with the value).
 */
import type { Diagnostic, Severity, SourceRange } from './model';

export type YamlPath = readonly (string | number)[];

/** What the parsers need of a loaded YAML document (the shared loader's `LoadedYaml` has it). */
export interface YamlDocument {
  readonly value: unknown;
  readonly diagnostics: readonly Diagnostic[];
  rangeOf(path: (string | number)[]): SourceRange | undefined;
  keyRangeOf(path: (string | number)[]): SourceRange | undefined;
}

/** A value inside a loaded document with the path that leads to it. */
export interface YamlNode {
  readonly value: unknown;
  readonly doc: YamlDocument;
  readonly file: string;
  readonly path: YamlPath;
}

export function rootNode(doc: YamlDocument, file: string): YamlNode {
  return { value: doc.value, doc, file, path: [] };
}

export function child(node: YamlNode, key: string | number): YamlNode {
  const value = isMap(node.value) ? node.value[key as string] : Array.isArray(node.value) ? node.value[key as number] : undefined;
  return { value, doc: node.doc, file: node.file, path: [...node.path, key] };
}

/** The children of a sequence (empty for anything else). */
export function items(node: YamlNode): YamlNode[] {
  return Array.isArray(node.value) ? node.value.map((_, i) => child(node, i)) : [];
}

/** The entries of a mapping in document order (empty for anything else). */
export function entries(node: YamlNode): [string, YamlNode][] {
  return isMap(node.value) ? Object.keys(node.value).map((k) => [k, child(node, k)]) : [];
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Line 1, column 1 of a file: where a diagnostic goes when nothing better is known. */
export function fileStart(file: string): SourceRange {
  return { file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
}

/** The range of a node, else of its nearest located parent, else the file's first line. */
export function rangeOfNode(node: YamlNode): SourceRange {
  for (let n = node.path.length; n >= 0; n--) {
    const range = safeRange(() => node.doc.rangeOf(node.path.slice(0, n) as (string | number)[]));
    if (range) return { ...range, file: node.file };
  }
  return fileStart(node.file);
}

/** The range of the key that holds a node (a job's name, a step's list dash), else its value's range. */
export function keyRangeOfNode(node: YamlNode): SourceRange {
  if (node.path.length > 0) {
    const range = safeRange(() => node.doc.keyRangeOf(node.path as (string | number)[]));
    if (range) return { ...range, file: node.file };
  }
  return rangeOfNode(node);
}

function safeRange(get: () => SourceRange | undefined): SourceRange | undefined {
  try {
    const r = get();
    return r && r.startLine >= 1 ? r : undefined;
  } catch {
    return undefined;
  }
}

export function diagnosticAt(severity: Severity, code: string, message: string, range: SourceRange): Diagnostic {
  return {
    severity,
    code,
    message,
    file: range.file,
    line: range.startLine,
    column: range.startColumn,
    endLine: range.endLine,
    endColumn: range.endColumn,
  };
}

/** A scalar as the text a CI would see (`true`, `20`), or undefined for maps, lists and null. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** A value as short display text: scalars as themselves, the rest as compact JSON. */
export function displayText(value: unknown): string {
  const s = scalarText(value);
  if (s !== undefined) return s;
  if (value === null || value === undefined) return '';
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

/** Deep equality for plain YAML values (matrix entries can be maps). */
export function yamlEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => yamlEqual(v, b[i]));
  if (isMap(a) && isMap(b)) {
    const ka = Object.keys(a);
    const kb = Object.keys(b);
    return ka.length === kb.length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && yamlEqual(a[k], b[k]));
  }
  return false;
}

/** A string map from a YAML mapping of scalars (env, variables); other values are skipped. */
export function stringMap(node: YamlNode): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of entries(node)) {
    const text = value.value === null ? '' : scalarText(value.value);
    if (text !== undefined) out[key] = text;
  }
  return out;
}

/** The first line of a script, shortened for a label ("Run npm ci"). */
export function firstLine(text: string, max = 60): string {
  const line = text.split('\n').find((l) => l.trim() !== '')?.trim() ?? '';
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** Normalises a workspace-relative path: forward slashes, no `./`, `..` resolved; undefined if it leaves the root. */
export function normalizeRelativePath(path: string): string | undefined {
  const parts: string[] = [];
  for (const part of path.replace(/\\/g, '/').split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else {
      parts.push(part);
    }
  }
  return parts.length > 0 ? parts.join('/') : undefined;
}

/** The folder of a workspace-relative file ('' for the root). */
export function dirnameOf(file: string): string {
  const i = file.lastIndexOf('/');
  return i < 0 ? '' : file.slice(0, i);
}

/** Reads another workspace file for a parser (reusable workflows, templates); undefined when it does not exist. */
export type ReadWorkspaceFile = (relativePath: string) => string | undefined;
