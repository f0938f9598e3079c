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

const MAPPING = 1;
const SEQUENCE = 2;
const SCALAR = 3;
const ALIAS = 4;
const EMPTY = 5;
/** No node. */
const NONE = -1;

/**
 * Where every node of the text is, as columns of numbers rather than an object per node: a
 * pipeline file has thousands of nodes and the tree lives as long as the plan is being built.
 * A node is an index into `kind`, `start`, `end` (offsets into the text), `first` and `count`:
 * a mapping's pairs are `pairKey`/`pairValue`/`pairName` [first, first + count), a sequence's
 * items are `items` [first, first + count), an alias's target node is `first` (NONE if unknown).
 */
class PositionTree {
  readonly kind: number[] = [];
  readonly start: number[] = [];
  readonly end: number[] = [];
  readonly first: number[] = [];
  readonly count: number[] = [];
  readonly pairKey: number[] = [];
  readonly pairValue: number[] = [];
  readonly pairName: string[] = [];
  readonly items: number[] = [];
  /** The `<<` sources of the mappings that have any. */
  readonly merges = new Map<number, number[]>();
  /**
   * Built on first lookup, for big mappings and those with merges: name → pair. Own keys (the
   * last duplicate wins), then merged keys (the first source wins).
   */
  private readonly indexes = new Map<number, Map<string, number>>();
  /** Where `valueOf` leaves the key node it found (a scratch slot: no entry object per lookup). */
  foundKey = NONE;

  add(kind: number, start: number, end: number, first: number, count: number): number {
    const id = this.kind.length;
    this.kind.push(kind);
    this.start.push(start);
    this.end.push(end);
    this.first.push(first);
    this.count.push(count);
    return id;
  }

  /** The node an alias chain ends at; NONE for an alias whose anchor is unknown. */
  deref(node: number): number {
    // Aliases only point at nodes closed before them, so the chain is finite; the guard is belt and braces.
    for (let guard = 0; node !== NONE && this.kind[node] === ALIAS && guard < 1000; guard++) node = this.first[node]!;
    return node !== NONE && this.kind[node] === ALIAS ? NONE : node;
  }

  /** The value node of `name` in a mapping node (its key node in `foundKey`); NONE when absent. */
  valueOf(node: number, name: string): number {
    const count = this.count[node]!;
    if (count <= 16 && !this.merges.has(node)) {
      const first = this.first[node]!;
      const names = this.pairName;
      for (let i = first + count - 1; i >= first; i--) {
        if (names[i] === name) {
          this.foundKey = this.pairKey[i]!;
          return this.pairValue[i]!;
        }
      }
      return NONE;
    }
    const pair = this.entries(node)?.get(name);
    if (pair === undefined) return NONE;
    this.foundKey = this.pairKey[pair]!;
    return this.pairValue[pair]!;
  }

  /** The pairs of a mapping node by key name, built once when first asked for; undefined for other nodes. */
  entries(node: number, depth = 0): Map<string, number> | undefined {
    if (node === NONE || this.kind[node] !== MAPPING) return undefined;
    const known = this.indexes.get(node);
    if (known) return known;
    const index = new Map<string, number>();
    const first = this.first[node]!;
    const last = first + this.count[node]!;
    for (let i = first; i < last; i++) index.set(this.pairName[i]!, i);
    for (const source of this.merges.get(node) ?? []) {
      const target = this.deref(source);
      const sources: number[] = [];
      if (target !== NONE && this.kind[target] === SEQUENCE) {
        const from = this.first[target]!;
        for (let i = 0; i < this.count[target]!; i++) sources.push(this.deref(this.items[from + i]!));
      } else sources.push(target);
      for (const s of sources) {
        const entries = s !== NONE && depth < 50 ? this.entries(s, depth + 1) : undefined;
        if (!entries) continue;
        for (const [name, pair] of entries) if (!index.has(name)) index.set(name, pair);
      }
    }
    this.indexes.set(node, index);
    return index;
  }
}

const MERGE_TAG = 'tag:yaml.org,2002:merge';

const hasOwn = Object.prototype.hasOwnProperty;

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
  readonly tree = new PositionTree();
  readonly roots: number[] = [];
  readonly duplicates: { key: string; at: number; first: number }[] = [];
  /** Alias nodes seen: without any, js-yaml's value shares nothing and needs no copy. */
  aliases = 0;
  /**
   * Objects an alias can reach again: every anchored object and every alias's target. Only they
   * (and what they contain) can appear twice in js-yaml's value.
   */
  readonly anchored: object[] = [];
  /** `!reference` tags seen. */
  references = 0;
  private readonly anchors = new Map<string, number>();
  private readonly frameOpen: number[] = [];
  private readonly frameBase: number[] = [];
  private readonly childOpen: number[] = [];
  private readonly childNode: number[] = [];
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

  private close(open: number, base: number, state: ListenerState): number {
    const text = this.text;
    const tree = this.tree;
    const start = this.contentStart(open);
    const anchor = this.anchor;
    const kind = state.kind;
    const result = state.result;
    const count = this.top - base;
    let node: number;
    let keptKind: number;
    if (count === 1 && this.childResult[base] === result && (kind === 'mapping' || kind === 'sequence') && (keptKind = tree.kind[this.childNode[base]!]!) !== SCALAR && keptKind !== EMPTY) {
      // js-yaml tried a block mapping, read one node as its key, found no ':' and kept that node.
      node = this.childNode[base]!;
    } else if (kind === null && text.charCodeAt(start) === 0x2a /* * */ && start < state.position) {
      const end = readToken(text, start + 1);
      node = tree.add(ALIAS, start, end, this.anchors.get(text.slice(start + 1, end)) ?? NONE, 0);
      this.aliases++;
      if (result !== null && typeof result === 'object') this.anchored.push(result);
    } else if (kind === 'mapping') {
      node = this.mapping(base, start, state.position);
    } else if (kind === 'sequence') {
      node = this.sequence(base, start, state.position);
    } else if (kind === 'scalar') {
      node = tree.add(SCALAR, start, Math.max(start, trimBack(text, Math.min(state.position, text.length), start)), NONE, 0);
    } else {
      const at = skipSpaces(text, open);
      node = tree.add(EMPTY, at, at, NONE, 0);
    }
    if (anchor !== undefined && state.anchorMap && hasOwn.call(state.anchorMap, anchor) && state.anchorMap[anchor] === result) {
      this.anchors.set(anchor, node);
    }
    return node;
  }

  /** Where a collection ends: a flow collection at its closing bracket, a block one with its last child. */
  private collectionEnd(start: number, closeAt: number, last: number): number {
    const c = this.text.charCodeAt(start);
    if (c === 0x5b || c === 0x7b) return Math.min(closeAt, this.text.length);
    return last !== NONE ? Math.max(this.tree.end[last]!, start) : start;
  }

  /** Does a ':' follow this node (so the next child is its value)? */
  private hasValueAfter(node: number): boolean {
    const at = skipSeparation(this.text, this.tree.end[node]!);
    return this.text.charCodeAt(at) === 0x3a /* : */;
  }

  private mapping(base: number, start: number, closeAt: number): number {
    const tree = this.tree;
    const first = tree.pairName.length;
    let merges: number[] | undefined;
    let last = NONE;
    for (let i = base; i < this.top; i++) {
      const k = i;
      const key = this.childNode[k]!;
      let value: number;
      if (i + 1 < this.top && this.hasValueAfter(key)) value = this.childNode[++i]!;
      else value = tree.add(EMPTY, tree.end[key]!, tree.end[key]!, NONE, 0);
      last = tree.kind[value] === EMPTY ? key : value;
      if (this.childTag[k] === MERGE_TAG) {
        (merges ??= []).push(value);
        continue;
      }
      tree.pairKey.push(key);
      tree.pairName.push(keyString(this.childResult[k]));
      tree.pairValue.push(value);
    }
    const count = tree.pairName.length - first;
    // duplicates: a nested loop for the usual small mapping, a set for big ones
    if (count > 1) {
      const names = tree.pairName;
      if (count <= 12) {
        for (let a = first + 1; a < first + count; a++) {
          for (let b = first; b < a; b++) {
            if (names[a] === names[b]) {
              this.duplicates.push({ key: names[a]!, at: tree.pairKey[a]!, first: tree.pairKey[b]! });
              break;
            }
          }
        }
      } else {
        const seen = new Map<string, number>();
        for (let a = first; a < first + count; a++) {
          const n = names[a]!;
          const b = seen.get(n);
          if (b !== undefined) this.duplicates.push({ key: n, at: tree.pairKey[a]!, first: tree.pairKey[b]! });
          else seen.set(n, a);
        }
      }
    }
    const node = tree.add(MAPPING, start, this.collectionEnd(start, closeAt, last), first, count);
    if (merges) tree.merges.set(node, merges);
    return node;
  }

  private sequence(base: number, start: number, closeAt: number): number {
    const tree = this.tree;
    const flow = this.text.charCodeAt(start) === 0x5b;
    // Nested collections closed before this one, so this sequence's items stay contiguous.
    const first = tree.items.length;
    let last = NONE;
    for (let i = base; i < this.top; i++) {
      const child = this.childNode[i]!;
      let item = child;
      if (flow && i + 1 < this.top && this.hasValueAfter(child)) {
        // `[a: b]` is a sequence holding the one-pair mapping {a: b}.
        const next = this.childNode[++i]!;
        const pair = tree.pairName.length;
        tree.pairKey.push(child);
        tree.pairName.push(keyString(this.childResult[i - 1]));
        tree.pairValue.push(next);
        item = tree.add(MAPPING, tree.start[child]!, Math.max(tree.end[next]!, tree.end[child]!), pair, 1);
      }
      tree.items.push(item);
      last = item;
    }
    return tree.add(SEQUENCE, start, this.collectionEnd(start, closeAt, last), first, tree.items.length - first);
  }
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
    else if (!(value instanceof Date)) for (const key in value) if (hasOwn.call(value, key)) stack.push((value as Record<string, unknown>)[key]);
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
    private readonly tree: PositionTree,
  ) {}

  /** The node count of `value` expanded; `pnode` is where the value is written (NONE: not followed). */
  measure(value: unknown, pnode: number, depth: number): number {
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
          throw new LimitError('yaml-too-deep', `The YAML nests deeper than ${limits.maxDepth} levels once aliases are followed.`, this.offset(pnode));
        }
        this.height = known.height;
        return known.count;
      }
      if (this.active.has(value)) {
        throw new LimitError('yaml-recursive-alias', 'An alias refers to a node that contains it; the YAML would be infinite.', this.offset(pnode));
      }
    }
    if (depth >= limits.maxDepth) {
      throw new LimitError('yaml-too-deep', `The YAML nests deeper than ${limits.maxDepth} levels once aliases are followed.`, this.offset(pnode));
    }
    const tree = this.tree;
    const node = tree.deref(pnode);
    if (tracked) this.active.add(value);
    let count = 1;
    let height = 0;
    if (value instanceof YamlReference || Array.isArray(value)) {
      const list = value instanceof YamlReference ? value.path : (value as unknown[]);
      const isSequence = node !== NONE && tree.kind[node] === SEQUENCE;
      const from = isSequence ? tree.first[node]! : 0;
      const itemCount = isSequence ? tree.count[node]! : 0;
      for (let i = 0; i < list.length; i++) {
        const childNode = i < itemCount ? tree.items[from + i]! : NONE;
        count += this.measure(list[i], childNode, depth + 1);
        if (this.height + 1 > height) height = this.height + 1;
        if (count > limits.maxNodes) throw this.tooMany(childNode, pnode);
      }
    } else if (!(value instanceof Date)) {
      const entries = tree.entries(node);
      // for...in with an own-key check: the order of Object.keys without an array per object
      for (const key in value) {
        if (!hasOwn.call(value, key)) continue;
        const pair = entries?.get(key);
        const childNode = pair === undefined ? NONE : tree.pairValue[pair]!;
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

  private offset(node: number): number {
    return node === NONE ? 0 : this.tree.start[node]!;
  }

  private tooMany(childNode: number, pnode: number): LimitError {
    return new LimitError(
      'yaml-too-many-nodes',
      `The YAML expands to more than ${this.limits.maxNodes.toLocaleString('en-US')} nodes through aliases (a "billion laughs" document?); nothing was read.`,
      childNode !== NONE ? this.tree.start[childNode]! : this.offset(pnode),
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
    for (const key in map) {
      if (!hasOwn.call(map, key)) continue;
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

  const recorder = new PositionRecorder(text, limits.maxDepth);
  const tree = recorder.tree;
  let root = NONE;
  let references = 0;
  const result = (value: unknown): LoadedYaml => makeLoaded(value, diagnostics, references, () => (root !== NONE ? { tree, root } : undefined), rangeAt, file);

  // Binary before size: random bytes decode to three-byte replacement characters, and "larger
  // than 4 MiB" would be a misleading answer for a 2 MB image.
  const nul = text.indexOf('\0');
  if (nul >= 0) {
    report('error', 'yaml-binary', 'The file contains a NUL byte: it is binary, not YAML.', nul);
    return result(undefined);
  }
  if (text.length > limits.maxBytes || (text.length * 3 > limits.maxBytes && utf8Length(text, limits.maxBytes) > limits.maxBytes)) {
    report('error', 'yaml-too-large', `The file is larger than ${formatBytes(limits.maxBytes)}; it was not read.`, 0);
    return result(undefined);
  }

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
    const isHeader = options.documents === 'gitlabHeader' && first !== null && typeof first === 'object' && !Array.isArray(first) && hasOwn.call(first, 'spec');
    if (isHeader && documents.length === 2) {
      docIndex = 1;
    } else {
      const extra = recorder.roots[isHeader ? 2 : 1];
      report('warning', 'yaml-multiple-documents', `The file holds ${documents.length} YAML documents; only the ${isHeader ? 'second (after the spec header)' : 'first'} is read.`, extra !== undefined ? recorder.tree.start[extra]! : 0);
      if (isHeader) docIndex = 1;
    }
  }
  root = recorder.roots[docIndex] ?? NONE;
  references = recorder.references;

  for (const d of recorder.duplicates) {
    const first = index().position(tree.start[d.first]!);
    report(options.duplicateKeys ?? 'error', 'yaml-duplicate-key', `Duplicate key "${d.key}" (first at line ${first.line}); the last one wins.`, tree.start[d.at]!, tree.end[d.at]!);
  }

  // Without aliases js-yaml's value shares nothing and is bounded by the text: use it as it is.
  // With aliases, measure the expansion first (memoised, cheap), then copy what aliases share.
  let value: unknown = documents[docIndex];
  if (recorder.aliases > 0) {
    try {
      const shared = sharedObjects(recorder.anchored);
      new Measurer(limits, shared, recorder.tree).measure(value, NONE, 0);
      value = unshare(value, new Set(), shared);
    } catch (e) {
      if (!(e instanceof LimitError) && !(e instanceof RangeError)) throw e;
      let located: LimitError | undefined;
      try {
        // again, walking the position tree along, to say where the expansion explodes
        new Measurer(limits, undefined, recorder.tree).measure(value, root, 0);
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

function makeLoaded(
  value: unknown,
  diagnostics: Diagnostic[],
  references: number,
  document: () => { tree: PositionTree; root: number } | undefined,
  rangeAt: (start: number, end: number) => SourceRange,
  file: string,
): LoadedYaml {
  /**
   * Follows `path` from the root; sets `found` (how many segments matched, -1 without a root) and
   * `node`/`key` where it stopped. No allocation: the parsers ask for thousands of ranges.
   */
  let found = 0;
  let node = NONE;
  let key = NONE;
  const walk = (path: readonly (string | number)[]): PositionTree | undefined => {
    const doc = document();
    key = NONE;
    found = 0;
    if (!doc) {
      node = NONE;
      found = -1;
      return undefined;
    }
    const tree = doc.tree;
    node = doc.root;
    for (let i = 0; i < path.length; i++) {
      const segment = path[i]!;
      const target = tree.deref(node);
      if (target === NONE) break;
      const kind = tree.kind[target];
      if (kind === MAPPING) {
        const value = tree.valueOf(target, String(segment));
        if (value === NONE) break;
        node = value;
        key = tree.foundKey;
      } else if (kind === SEQUENCE && typeof segment === 'number') {
        if (!(segment >= 0 && segment < tree.count[target]!) || !Number.isInteger(segment)) break;
        node = tree.items[tree.first[target]! + segment]!;
        key = node;
      } else {
        break;
      }
      found++;
    }
    return tree;
  };
  return {
    value,
    diagnostics,
    references,
    rangeOf(path) {
      const tree = walk(path);
      return tree && found === path.length ? rangeAt(tree.start[node]!, tree.end[node]!) : undefined;
    },
    keyRangeOf(path) {
      if (path.length === 0) return undefined;
      const tree = walk(path);
      return tree && found === path.length && key !== NONE ? rangeAt(tree.start[key]!, tree.end[key]!) : undefined;
    },
    nearestRangeOf(path) {
      const tree = walk(path);
      if (!tree) return { file, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 };
      return rangeAt(tree.start[node]!, tree.end[node]!);
    },
  };
}

/** A YAML mapping as loaded (a plain object that is not an array or a reference). */
export function isYamlMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof YamlReference);
}
