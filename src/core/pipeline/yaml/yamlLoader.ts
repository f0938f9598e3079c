import * as jsyaml from 'js-yaml';
import type { Diagnostic, Severity, SourceRange } from '../model';

/**
 * The one YAML reader of every pipeline parser: js-yaml for the values, plus what pipeline
 * tools need and js-yaml does not give: limits that hold before work grows (size, depth, alias
 * expansion), duplicate keys as diagnostics instead of a fatal error, and the source range of
 * every node by path, so a diagnostic or a CodeLens lands on the line where a thing is written.
 *
 * Positions come from js-yaml's `listener` option ('open'/'close' around every node it composes)
 * and a little scanning of the text around them; values come from js-yaml itself, cloned into
 * fresh plain data while counting nodes, because js-yaml shares aliased nodes by reference and a
 * few hundred bytes can stand for billions of nodes.
 */

export interface YamlLimits {
  /** UTF-8 size of the text; checked before parsing. */
  maxBytes: number;
  /** Nesting of collections, in the text and after aliases are followed. */
  maxDepth: number;
  /** Nodes of the value after alias expansion (what a walker of the value would visit). */
  maxNodes: number;
}

export const defaultYamlLimits: YamlLimits = Object.freeze({
  maxBytes: 4 * 1024 * 1024,
  maxDepth: 100,
  maxNodes: 500_000,
});

/** GitLab's `!reference [job, key, ...]`, kept as a value for the GitLab parser to resolve. */
export class YamlReference {
  constructor(readonly path: readonly unknown[]) {}
}

export interface LoadedYaml {
  /** Plain data, aliases resolved, `<<` merges applied; undefined on a fatal error. */
  readonly value: unknown;
  /** Syntax errors, duplicate keys, limits, with 1-based line/column. */
  readonly diagnostics: readonly Diagnostic[];
  /** How many `!reference` tags the text holds (0: the value holds no `YamlReference`). */
  readonly references: number;
  /** Where the node at that path (keys / indices) is written. */
  rangeOf(path: readonly (string | number)[]): SourceRange | undefined;
  /** Where the key itself is written (for a sequence index: the item). */
  keyRangeOf(path: readonly (string | number)[]): SourceRange | undefined;
  /** The range of the longest prefix of `path` that can be found (the document's start at worst). */
  nearestRangeOf(path: readonly (string | number)[]): SourceRange;
}

export interface LoadYamlOptions {
  limits?: Partial<YamlLimits>;
  /** Accept GitLab's `!reference` tag (as a `YamlReference` value). */
  gitlabTags?: boolean;
  /** Severity of a duplicate key (the last one wins in the value either way). Default 'error'. */
  duplicateKeys?: Severity;
  /**
   * Several documents: 'first' keeps the first and reports the rest (default); 'gitlabHeader'
   * accepts GitLab's `spec:` header document before the configuration and keeps the second.
   */
  documents?: 'first' | 'gitlabHeader';
}

// ---------------------------------------------------------------------------------------------
// Position tree built from the listener events

interface PNode {
  kind: 'mapping' | 'sequence' | 'scalar' | 'alias' | 'empty';
  /** Offsets into the text. */
  start: number;
  end: number;
  /** Mapping: own keys in order, their names and values, and the `<<` sources. */
  keys?: PNode[];
  names?: string[];
  values?: PNode[];
  merges?: PNode[];
  /** Built on first lookup: own keys (the last duplicate wins), then merged keys (the first source wins). */
  index?: Map<string, { key: PNode; value: PNode }>;
  items?: PNode[];
  target?: PNode;
}

/** One entry of a mapping node; small mappings without merges are scanned, without building an index. */
function entryOf(node: PNode, name: string): { key: PNode; value: PNode } | undefined {
  if (node.kind !== 'mapping') return undefined;
  const names = node.names;
  if (!node.index && !node.merges && names && names.length <= 16) {
    for (let i = names.length - 1; i >= 0; i--) if (names[i] === name) return { key: node.keys![i]!, value: node.values![i]! };
    return undefined;
  }
  return entriesOf(node)!.get(name);
}

/** The entries of a mapping node by key name, built once when first asked for. */
function entriesOf(node: PNode, depth = 0): Map<string, { key: PNode; value: PNode }> | undefined {
  if (node.kind !== 'mapping') return undefined;
  if (node.index) return node.index;
  const index = new Map<string, { key: PNode; value: PNode }>();
  const names = node.names ?? [];
  for (let i = 0; i < names.length; i++) index.set(names[i]!, { key: node.keys![i]!, value: node.values![i]! });
  for (const source of node.merges ?? []) {
    const target = deref(source);
    const sources = target?.kind === 'sequence' ? (target.items ?? []).map(deref) : [target];
    for (const s of sources) {
      const entries = s && depth < 50 ? entriesOf(s, depth + 1) : undefined;
      if (!entries) continue;
      for (const [name, entry] of entries) if (!index.has(name)) index.set(name, entry);
    }
  }
  node.index = index;
  return index;
}

const MERGE_TAG = 'tag:yaml.org,2002:merge';

class LimitError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
function isBreak(c: number): boolean {
  return c === 0x0a || c === 0x0d;
}
function isWsOrEol(c: number): boolean {
  return isSpace(c) || isBreak(c) || Number.isNaN(c);
}
function isFlowIndicator(c: number): boolean {
  return c === 0x2c || c === 0x5b || c === 0x5d || c === 0x7b || c === 0x7d;
}

/** Skips spaces, line breaks and comments from `pos`; a comment starts at `#` after white space. */
function skipSeparation(text: string, pos: number): number {
  const n = text.length;
  while (pos < n) {
    const c = text.charCodeAt(pos);
    if (isSpace(c) || isBreak(c)) {
      pos++;
    } else if (c === 0x23 && (pos === 0 || isWsOrEol(text.charCodeAt(pos - 1)))) {
      while (pos < n && !isBreak(text.charCodeAt(pos))) pos++;
    } else {
      break;
    }
  }
  return pos;
}

/** Skips spaces and tabs on the line only. */
function skipSpaces(text: string, pos: number): number {
  while (pos < text.length && isSpace(text.charCodeAt(pos))) pos++;
  return pos;
}

function readToken(text: string, pos: number): number {
  while (pos < text.length) {
    const c = text.charCodeAt(pos);
    if (isWsOrEol(c) || isFlowIndicator(c)) break;
    pos++;
  }
  return pos;
}

function trimBack(text: string, end: number, floor: number): number {
  while (end > floor && isWsOrEol(text.charCodeAt(end - 1))) end--;
  return end;
}

function keyString(key: unknown): string {
  if (key !== null && typeof key === 'object' && !Array.isArray(key)) return '[object Object]';
  return String(key);
}

type ListenerState = { position: number; kind: string | null; result: unknown; tag: string | null; anchor: string | null; anchorMap?: Record<string, unknown> };

/**
 * Builds the position tree from js-yaml's open/close events. Children of open nodes live in flat
 * parallel arrays (no object per event), so recording costs little next to js-yaml's own work.
 */
class PositionRecorder {
  readonly roots: PNode[] = [];
  readonly duplicates: { key: string; at: PNode; first: PNode }[] = [];
  /** Alias nodes seen: without any, js-yaml's value shares nothing and needs no copy. */
  aliases = 0;
  /**
   * Objects an alias can reach again: every anchored object and every alias's target. Only they
   * (and what they contain) can appear twice in js-yaml's value.
   */
  readonly anchored: object[] = [];
  /** `!reference` tags seen. */
  references = 0;
  private readonly anchors = new Map<string, PNode>();
  private readonly frameOpen: number[] = [];
  private readonly frameBase: number[] = [];
  private readonly childOpen: number[] = [];
  private readonly childNode: PNode[] = [];
  private readonly childResult: unknown[] = [];
  private readonly childTag: (string | null)[] = [];
  private top = 0;
  private anchor: string | undefined;

  constructor(
    private readonly text: string,
    private readonly maxDepth: number,
  ) {}

  readonly listener = (event: 'open' | 'close', state: ListenerState): void => {
    if (event === 'open') {
      if (this.frameOpen.length >= this.maxDepth) {
        throw new LimitError('yaml-too-deep', `The YAML nests deeper than ${this.maxDepth} levels.`, state.position);
      }
      this.frameOpen.push(state.position);
      this.frameBase.push(this.top);
      return;
    }
    if (this.frameOpen.length === 0) return;
    const open = this.frameOpen.pop()!;
    const base = this.frameBase.pop()!;
    const result = state.result;
    if (state.anchor !== null && result !== null && typeof result === 'object') this.anchored.push(result);
    if (state.tag === '!reference') this.references++;
    const node = this.close(open, base, state);
    this.top = base;
    if (this.frameOpen.length > 0) {
      // A re-read after js-yaml backtracked starts at or before children read in the failed attempt.
      const parentBase = this.frameBase[this.frameBase.length - 1]!;
      while (this.top > parentBase && this.childOpen[this.top - 1]! >= open) this.top--;
      const i = this.top++;
      this.childOpen[i] = open;
      this.childNode[i] = node;
      this.childResult[i] = state.result;
      this.childTag[i] = state.tag;
    } else {
      this.roots.push(node);
    }
  };

  /** Offset of a node's content after separation and properties; sets `this.anchor`. */
  private contentStart(open: number): number {
    const text = this.text;
    let pos = skipSeparation(text, open);
    this.anchor = undefined;
    for (let guard = 0; guard < 8; guard++) {
      const c = text.charCodeAt(pos);
      if (c === 0x26 /* & */) {
        const end = readToken(text, pos + 1);
        this.anchor = text.slice(pos + 1, end);
        pos = skipSeparation(text, end);
      } else if (c === 0x21 /* ! */) {
        let end: number;
        if (text.charCodeAt(pos + 1) === 0x3c /* < */) {
          end = text.indexOf('>', pos);
          end = end < 0 ? text.length : end + 1;
        } else {
          end = readToken(text, pos + 1);
        }
        pos = skipSeparation(text, end);
      } else {
        break;
      }
    }
    return pos;
  }

  private close(open: number, base: number, state: ListenerState): PNode {
    const text = this.text;
    const start = this.contentStart(open);
    const anchor = this.anchor;
    const kind = state.kind;
    const result = state.result;
    const count = this.top - base;
    let node: PNode;
    if (count === 1 && this.childResult[base] === result && (kind === 'mapping' || kind === 'sequence') && this.childNode[base]!.kind !== 'scalar' && this.childNode[base]!.kind !== 'empty') {
      // js-yaml tried a block mapping, read one node as its key, found no ':' and kept that node.
      node = this.childNode[base]!;
    } else if (kind === null && text.charCodeAt(start) === 0x2a /* * */ && start < state.position) {
      const end = readToken(text, start + 1);
      const target = this.anchors.get(text.slice(start + 1, end));
      node = target ? { kind: 'alias', start, end, target } : { kind: 'alias', start, end };
      this.aliases++;
      if (result !== null && typeof result === 'object') this.anchored.push(result);
    } else if (kind === 'mapping') {
      node = this.mapping(base, start, state.position);
    } else if (kind === 'sequence') {
      node = this.sequence(base, start, state.position);
    } else if (kind === 'scalar') {
      node = { kind: 'scalar', start, end: Math.max(start, trimBack(text, Math.min(state.position, text.length), start)) };
    } else {
      const at = skipSpaces(text, open);
      node = { kind: 'empty', start: at, end: at };
    }
    if (anchor !== undefined && state.anchorMap && Object.prototype.hasOwnProperty.call(state.anchorMap, anchor) && state.anchorMap[anchor] === result) {
      this.anchors.set(anchor, node);
    }
    return node;
  }

  /** Where a collection ends: a flow collection at its closing bracket, a block one with its last child. */
  private collectionEnd(start: number, closeAt: number, last: PNode | undefined): number {
    const c = this.text.charCodeAt(start);
    if (c === 0x5b || c === 0x7b) return Math.min(closeAt, this.text.length);
    return last ? Math.max(last.end, start) : start;
  }

  /** Does a ':' follow this node (so the next child is its value)? */
  private hasValueAfter(node: PNode): boolean {
    const at = skipSeparation(this.text, node.end);
    return this.text.charCodeAt(at) === 0x3a /* : */;
  }

  private mapping(base: number, start: number, closeAt: number): PNode {
    const keys: PNode[] = [];
    const names: string[] = [];
    const values: PNode[] = [];
    let merges: PNode[] | undefined;
    let last: PNode | undefined;
    for (let i = base; i < this.top; i++) {
      const k = i;
      const key = this.childNode[k]!;
      let value: PNode;
      if (i + 1 < this.top && this.hasValueAfter(key)) value = this.childNode[++i]!;
      else value = { kind: 'empty', start: key.end, end: key.end };
      last = value.kind === 'empty' ? key : value;
      if (this.childTag[k] === MERGE_TAG) {
        (merges ??= []).push(value);
        continue;
      }
      keys.push(key);
      names.push(keyString(this.childResult[k]));
      values.push(value);
    }
    // duplicates: a nested loop for the usual small mapping, a set for big ones
    if (names.length > 1) {
      if (names.length <= 12) {
        for (let a = 1; a < names.length; a++) {
          for (let b = 0; b < a; b++) {
            if (names[a] === names[b]) {
              this.duplicates.push({ key: names[a]!, at: keys[a]!, first: keys[b]! });
              break;
            }
          }
        }
      } else {
        const seen = new Map<string, number>();
        names.forEach((n, a) => {
          const b = seen.get(n);
          if (b !== undefined) this.duplicates.push({ key: n, at: keys[a]!, first: keys[b]! });
          else seen.set(n, a);
        });
      }
    }
    const node: PNode = { kind: 'mapping', start, end: this.collectionEnd(start, closeAt, last), keys, names, values };
    if (merges) node.merges = merges;
    return node;
  }

  private sequence(base: number, start: number, closeAt: number): PNode {
    const items: PNode[] = [];
    const flow = this.text.charCodeAt(start) === 0x5b;
    for (let i = base; i < this.top; i++) {
      const child = this.childNode[i]!;
      if (flow && i + 1 < this.top && this.hasValueAfter(child)) {
        // `[a: b]` is a sequence holding the one-pair mapping {a: b}.
        const next = this.childNode[++i]!;
        items.push({ kind: 'mapping', start: child.start, end: Math.max(next.end, child.end), keys: [child], names: [keyString(this.childResult[i - 1])], values: [next] });
      } else {
        items.push(child);
      }
    }
    return { kind: 'sequence', start, end: this.collectionEnd(start, closeAt, items[items.length - 1]), items };
  }
}

function deref(node: PNode | undefined): PNode | undefined {
  // Aliases only point at nodes closed before them, so the chain is finite; the guard is belt and braces.
  for (let guard = 0; node && node.kind === 'alias' && guard < 1000; guard++) node = node.target;
  return node && node.kind === 'alias' ? undefined : node;
}

// ---------------------------------------------------------------------------------------------
// Lines and columns

class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string) {
    if (text.indexOf('\r') < 0) {
      // the usual case: jump from line break to line break
      for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) this.starts.push(i + 1);
      return;
    }
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) this.starts.push(i + 1);
      else if (c === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) i++;
        this.starts.push(i + 1);
      }
    }
  }

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const line = this.lineOf(offset);
    return { line, column: offset - this.starts[line - 1]! + 1 };
  }

  /** 1-based line of an offset. */
  lineOf(offset: number): number {
    const starts = this.starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  /** Offset where a 1-based line starts. */
  lineStart(line: number): number {
    return this.starts[line - 1]!;
  }
}

// ---------------------------------------------------------------------------------------------
// Schema

const referenceType = new jsyaml.Type('!reference', {
  kind: 'sequence',
  construct: (data: unknown) => new YamlReference(Array.isArray(data) ? data : []),
});

// The same tag js-yaml's own merge type has, so its loader applies `<<` merges (the type is not in @types/js-yaml).
const mergeType = new jsyaml.Type(MERGE_TAG, { kind: 'scalar', resolve: (data: unknown) => data === '<<' });
const coreWithMerge = jsyaml.CORE_SCHEMA.extend({ implicit: [mergeType] });
const gitlabSchema = coreWithMerge.extend({ explicit: [referenceType] });

// ---------------------------------------------------------------------------------------------
// Measure, then copy

function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
  } else {
    target[key] = value;
  }
}

interface Measure {
  count: number;
  height: number;
}

/**
 * The objects of `value` that can be met more than once: the given roots (anchored objects and
 * alias targets) and everything inside them. Everything else in js-yaml's value is referenced
 * from one place only, so the walks below need no memo or visited-set entry for it.
 */
function sharedObjects(roots: readonly object[]): Set<object> {
  const shared = new Set<object>();
  const stack: unknown[] = [...roots];
  while (stack.length > 0) {
    const value = stack.pop();
    if (value === null || typeof value !== 'object' || shared.has(value)) continue;
    shared.add(value);
    if (value instanceof YamlReference) for (const item of value.path) stack.push(item);
    else if (Array.isArray(value)) for (const item of value) stack.push(item);
    else if (!(value instanceof Date)) for (const key of Object.keys(value)) stack.push((value as Record<string, unknown>)[key]);
  }
  return shared;
}

/**
 * Nodes and height of the value once aliases are expanded, computed once per shared node, so a
 * "billion laughs" document is refused in time proportional to its text, before anything is
 * copied. Throws a LimitError located at the node (usually an alias) where a limit is crossed.
 * With `shared`, only those objects are memoised and checked for recursion (the others are met
 * once); without it, every object is.
 */
class Measurer {
  /** Height of the value measured last. */
  private height = 0;
  private readonly memo = new Map<object, Measure>();
  private readonly active = new Set<object>();

  constructor(
    private readonly limits: YamlLimits,
    private readonly shared: ReadonlySet<object> | undefined,
  ) {}

  /** The node count of `value` expanded. */
  measure(value: unknown, pnode: PNode | undefined, depth: number): number {
    if (value === null || typeof value !== 'object') {
      this.height = 0;
      return 1;
    }
    const limits = this.limits;
    const tracked = this.shared === undefined || this.shared.has(value);
    if (tracked) {
      const known = this.memo.get(value);
      if (known) {
        if (depth + known.height > limits.maxDepth) {
          throw new LimitError('yaml-too-deep', `The YAML nests deeper than ${limits.maxDepth} levels once aliases are followed.`, pnode?.start ?? 0);
        }
        this.height = known.height;
        return known.count;
      }
      if (this.active.has(value)) {
        throw new LimitError('yaml-recursive-alias', 'An alias refers to a node that contains it; the YAML would be infinite.', pnode?.start ?? 0);
      }
    }
    if (depth >= limits.maxDepth) {
      throw new LimitError('yaml-too-deep', `The YAML nests deeper than ${limits.maxDepth} levels once aliases are followed.`, pnode?.start ?? 0);
    }
    const node = deref(pnode);
    if (tracked) this.active.add(value);
    let count = 1;
    let height = 0;
    if (value instanceof YamlReference || Array.isArray(value)) {
      const list = value instanceof YamlReference ? value.path : (value as unknown[]);
      const items = node?.kind === 'sequence' ? node.items : undefined;
      for (let i = 0; i < list.length; i++) {
        const childNode = items?.[i];
        count += this.measure(list[i], childNode, depth + 1);
        if (this.height + 1 > height) height = this.height + 1;
        if (count > limits.maxNodes) throw this.tooMany(childNode, pnode);
      }
    } else if (!(value instanceof Date)) {
      const entries = node ? entriesOf(node) : undefined;
      for (const key of Object.keys(value)) {
        const childNode = entries?.get(key)?.value;
        count += this.measure((value as Record<string, unknown>)[key], childNode, depth + 1);
        if (this.height + 1 > height) height = this.height + 1;
        if (count > limits.maxNodes) throw this.tooMany(childNode, pnode);
      }
    }
    if (tracked) {
      this.active.delete(value);
      this.memo.set(value, { count, height });
    }
    this.height = height;
    return count;
  }

  private tooMany(childNode: PNode | undefined, pnode: PNode | undefined): LimitError {
    return new LimitError(
      'yaml-too-many-nodes',
      `The YAML expands to more than ${this.limits.maxNodes.toLocaleString('en-US')} nodes through aliases (a "billion laughs" document?); nothing was read.`,
      childNode?.start ?? pnode?.start ?? 0,
    );
  }
}

/**
 * A fresh copy of js-yaml's value as plain data (aliases become copies). Runs only after
 * the Measurer accepted the document, so it is bounded by the node and depth limits.
 */
/**
 * Makes every alias site independent in place: the first place an object is met keeps it, any
 * later place (an alias) gets a deep copy. Only what aliases share is copied; the rest of
 * js-yaml's fresh value is kept as it is.
 */
function unshare(value: unknown, seen: Set<object>, shared: ReadonlySet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  // Only a shared object can be met again; the others keep no entry in `seen`.
  if (shared.has(value)) {
    if (seen.has(value)) return cloneValue(value);
    seen.add(value);
  }
  if (value instanceof YamlReference) {
    const path = value.path as unknown[];
    for (let i = 0; i < path.length; i++) path[i] = unshare(path[i], seen, shared);
  } else if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unshare(value[i], seen, shared);
  } else if (value instanceof Date) {
    return value.toISOString();
  } else {
    const map = value as Record<string, unknown>;
    for (const key of Object.keys(map)) {
      const item = map[key];
      if (item !== null && typeof item === 'object') {
        const fresh = unshare(item, seen, shared);
        if (fresh !== item) setOwn(map, key, fresh);
      }
    }
  }
  return value;
}

function cloneValue(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof YamlReference) return new YamlReference(value.path.map(cloneValue));
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = cloneValue(value[i]);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) setOwn(out, key, cloneValue((value as Record<string, unknown>)[key]));
  return out;
}

// ---------------------------------------------------------------------------------------------
// The loader

function utf8Length(text: string, stopAbove: number): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      bytes += 4;
      i++;
    } else bytes += 3;
    if (bytes > stopAbove) return bytes;
  }
  return bytes;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${bytes} bytes`;
}

interface YamlExceptionLike {
  name: string;
  reason?: string;
  message: string;
  mark?: { line?: number; column?: number; position?: number };
}

function isYamlException(e: unknown): e is YamlExceptionLike {
  return e instanceof jsyaml.YAMLException || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'YAMLException');
}

/** Parses `text` (the content of `file`) into plain data with positions; never throws. */
export function loadYaml(text: string, file: string, options: LoadYamlOptions = {}): LoadedYaml {
  const limits: YamlLimits = { ...defaultYamlLimits, ...options.limits };
  const diagnostics: Diagnostic[] = [];
  if (typeof text !== 'string') text = String(text);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let lines: LineIndex | undefined;
  const index = (): LineIndex => (lines ??= new LineIndex(text));
  const rangeAt = (start: number, end: number): SourceRange => {
    const lines = index();
    const stop = Math.max(start, end);
    const startLine = lines.lineOf(start);
    const endLine = lines.lineOf(stop);
    return { file, startLine, startColumn: start - lines.lineStart(startLine) + 1, endLine, endColumn: stop - lines.lineStart(endLine) + 1 };
  };
  const report = (severity: Severity, code: string, message: string, start: number, end = start): void => {
    const r = rangeAt(start, end);
    diagnostics.push({ severity, code, message, file, line: r.startLine, column: r.startColumn, endLine: r.endLine, endColumn: r.endColumn });
  };

  let root: PNode | undefined = undefined;
  let references = 0;
  const result = (value: unknown): LoadedYaml => makeLoaded(value, diagnostics, references, () => root, rangeAt, file);

  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && utf8Length(text, limits.maxBytes) > limits.maxBytes)) {
    report('error', 'yaml-too-large', `The file is larger than ${formatBytes(limits.maxBytes)}; it was not read.`, 0);
    return result(undefined);
  }
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    report('error', 'yaml-binary', 'The file contains a NUL byte: it is binary, not YAML.', nul);
    return result(undefined);
  }

  const recorder = new PositionRecorder(text, limits.maxDepth);
  let documents: unknown[];
  try {
    documents = jsyaml.loadAll(text, null, {
      filename: file,
      schema: options.gitlabTags ? gitlabSchema : coreWithMerge,
      json: true, // duplicate keys do not throw: the recorder reports them, the last one wins
      listener: recorder.listener,
      // js-yaml 4.3 also bounds depth itself; keep it above ours so our message is the one seen.
      maxDepth: limits.maxDepth + 2,
      onWarning: (w: unknown) => {
        if (isYamlException(w)) {
          const mark = w.mark ?? {};
          report('warning', 'yaml-warning', w.reason ?? w.message, typeof mark.position === 'number' ? mark.position : 0);
        }
      },
    } as unknown as jsyaml.LoadOptions) as unknown[];
  } catch (e) {
    if (e instanceof LimitError) {
      report('error', e.code, e.message, Math.min(e.offset, text.length));
    } else if (isYamlException(e)) {
      const mark = e.mark ?? {};
      const position = typeof mark.position === 'number' ? Math.min(mark.position, text.length) : 0;
      const reason = (e.reason ?? e.message).replace(/^./, (c) => c.toUpperCase());
      report('error', 'yaml-syntax', `${reason}.`, position);
    } else if (e instanceof RangeError) {
      report('error', 'yaml-too-deep', 'The YAML is nested too deeply to read.', 0);
    } else {
      report('error', 'yaml-syntax', `The YAML could not be read: ${e instanceof Error ? e.message : String(e)}`, 0);
    }
    return result(undefined);
  }

  let docIndex = 0;
  if (documents.length > 1) {
    const first = documents[0];
    const isHeader = options.documents === 'gitlabHeader' && first !== null && typeof first === 'object' && !Array.isArray(first) && Object.prototype.hasOwnProperty.call(first, 'spec');
    if (isHeader && documents.length === 2) {
      docIndex = 1;
    } else {
      const extra = recorder.roots[isHeader ? 2 : 1];
      report('warning', 'yaml-multiple-documents', `The file holds ${documents.length} YAML documents; only the ${isHeader ? 'second (after the spec header)' : 'first'} is read.`, extra?.start ?? 0);
      if (isHeader) docIndex = 1;
    }
  }
  root = recorder.roots[docIndex];
  references = recorder.references;

  for (const d of recorder.duplicates) {
    const first = index().position(d.first.start);
    report(options.duplicateKeys ?? 'error', 'yaml-duplicate-key', `Duplicate key "${d.key}" (first at line ${first.line}); the last one wins.`, d.at.start, d.at.end);
  }

  // Without aliases js-yaml's value shares nothing and is bounded by the text: use it as it is.
  // With aliases, measure the expansion first (memoised, cheap), then copy what aliases share.
  let value: unknown = documents[docIndex];
  if (recorder.aliases > 0) {
    try {
      const shared = sharedObjects(recorder.anchored);
      new Measurer(limits, shared).measure(value, undefined, 0);
      value = unshare(value, new Set(), shared);
    } catch (e) {
      if (!(e instanceof LimitError) && !(e instanceof RangeError)) throw e;
      let located: LimitError | undefined;
      try {
        // again, walking the position tree along, to say where the expansion explodes
        new Measurer(limits, undefined).measure(value, root, 0);
      } catch (again) {
        if (again instanceof LimitError) located = again;
      }
      const error = located ?? (e instanceof LimitError ? e : undefined);
      if (error) report('error', error.code, error.message, Math.min(error.offset, text.length));
      else report('error', 'yaml-too-deep', 'The YAML is nested too deeply to read.', 0);
      value = undefined;
    }
  }
  return result(value);
}

function makeLoaded(value: unknown, diagnostics: Diagnostic[], references: number, root: () => PNode | undefined, rangeAt: (start: number, end: number) => SourceRange, file: string): LoadedYaml {
  /**
   * Follows `path` from the root; `found` is how many segments matched, `node`/`key` where it
   * stopped. No allocation per segment: the parsers ask for thousands of ranges.
   */
  const walk = (path: readonly (string | number)[]): { found: number; node: PNode | undefined; key: PNode | undefined } => {
    let node = root();
    let key: PNode | undefined;
    let found = 0;
    if (!node) return { found: -1, node: undefined, key: undefined };
    for (const segment of path) {
      const target = deref(node);
      if (!target) break;
      if (target.kind === 'mapping') {
        const entry = entryOf(target, String(segment));
        if (!entry) break;
        node = entry.value;
        key = entry.key;
      } else if (target.kind === 'sequence' && target.items && typeof segment === 'number') {
        const item = target.items[segment];
        if (!item) break;
        node = item;
        key = item;
      } else {
        break;
      }
      found++;
    }
    return { found, node, key };
  };
  const range = (n: PNode): SourceRange => rangeAt(n.start, n.end);
  return {
    value,
    diagnostics,
    references,
    rangeOf(path) {
      const w = walk(path);
      return w.found === path.length && w.node ? range(w.node) : undefined;
    },
    keyRangeOf(path) {
      if (path.length === 0) return undefined;
      const w = walk(path);
      return w.found === path.length && w.key ? range(w.key) : undefined;
    },
    nearestRangeOf(path) {
      const w = walk(path);
      if (!w.node) return { file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
      return range(w.node);
    },
  };
}

/** A YAML mapping as loaded (a plain object that is not an array or a reference). */
export function isYamlMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof YamlReference);
}
