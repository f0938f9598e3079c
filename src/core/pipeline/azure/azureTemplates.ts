/**
 * Azure Pipelines' compile-time step: `- template:` references in stages, jobs, steps and
 * variables lists, `extends: template:`, template parameters with their defaults, and `${{ }}`
 * expressions (values, `if`/`elseif`/`else`, `each`, `insert`). The result is a tree of resolved
 * nodes that remember the file and path they came from, so a job written in a template, or a
 * step passed in as a parameter, keeps its own line.
 */
import { OpsloopError } from '../../errors';
import type { Diagnostic } from '../model';
import {
  child,
  diagnosticAt,
  dirnameOf,
  entries,
  isMap,
  items,
  normalizeRelativePath,
  rangeOfNode,
  type ReadWorkspaceFile,
  rootNode,
  type YamlDocument,
  type YamlNode,
  type YamlPath,
} from '../parserSupport';
import { loadYaml, type YamlLimits } from '../yaml/yamlLoader';
import { type AzureExpr, evaluateAzure, isTrue, parseAzureExpression, textOf, unknownValue } from './azureExpressions';

export interface Origin {
  readonly doc: YamlDocument;
  readonly file: string;
  readonly path: YamlPath;
}

export type RNode =
  | { readonly kind: 'map'; readonly entries: readonly (readonly [string, RNode])[]; readonly at: Origin }
  | { readonly kind: 'list'; readonly items: readonly RNode[]; readonly at: Origin }
  | { readonly kind: 'scalar'; readonly value: string | number | boolean | null; readonly at: Origin };

export type RMap = Extract<RNode, { kind: 'map' }>;

export function get(node: RNode | undefined, key: string): RNode | undefined {
  if (!node || node.kind !== 'map') return undefined;
  for (let i = node.entries.length - 1; i >= 0; i--) if (node.entries[i]![0] === key) return node.entries[i]![1];
  return undefined;
}

export function text(node: RNode | undefined): string | undefined {
  if (!node || node.kind !== 'scalar' || node.value === null) return undefined;
  return String(node.value);
}

export function asYamlNode(at: Origin): YamlNode {
  return { value: undefined, doc: at.doc, file: at.file, path: at.path };
}

/** Lists of these kinds may hold `- template:` items. */
const templateLists = new Set(['stages', 'jobs', 'steps', 'variables']);

/** Azure's limits: 100 template files in all, 100 levels of nesting; ours: the size of the result. */
const maxTemplates = 100;
const maxTemplateDepth = 100;
const maxNodes = 300_000;
const maxEachItems = 1_000;
/** Nesting of values across all templates (each file is bounded by the loader; a chain of them is not). */
const maxResolveDepth = 400;

interface Scope {
  readonly file: string;
  readonly contexts: Readonly<Record<string, unknown>>;
  readonly chain: readonly string[];
}

type Resolved = RNode | { readonly spread: readonly RNode[] } | undefined;

export class TemplateResolver {
  private readonly loaded = new Map<string, YamlDocument | undefined>();
  private templateCount = 0;
  private nodes = 0;
  private readonly origins = new WeakMap<object, Origin>();
  private readonly warnedFiles = new Set<string>();
  readonly templateFiles = new Set<string>();
  private stopped = false;
  private depth = 0;

  constructor(
    private readonly diagnostics: Diagnostic[],
    private readonly readFile: ReadWorkspaceFile | undefined,
    private readonly limits: Partial<YamlLimits> | undefined,
  ) {}

  /** The root pipeline resolved: parameters' defaults known, `extends:` applied. */
  resolveRoot(root: YamlNode): RMap | undefined {
    const params = this.parameterValues(root, undefined, root.file);
    const scope: Scope = { file: root.file, contexts: { parameters: params ?? {}, variables: knownVariables(root) }, chain: [root.file] };
    const resolved = this.one(this.resolve(root, scope, undefined));
    if (!resolved || resolved.kind !== 'map') return undefined;
    const ext = get(resolved, 'extends');
    if (!ext) return resolved;
    const extNode = this.find(root, 'extends');
    const templatePath = text(get(ext, 'template'));
    if (!templatePath) {
      this.error('azure-extends', 'extends: needs a template.', ext.at);
      return resolved;
    }
    const expanded = this.loadTemplate(templatePath, get(ext, 'parameters'), scope, 'extends', child(extNode, 'template'));
    if (!expanded || expanded.kind !== 'map') return { ...resolved, entries: resolved.entries.filter(([k]) => k !== 'extends') };
    // The template's content replaces the pipeline's; the root keeps its triggers and name.
    const own = resolved.entries.filter(([k]) => k !== 'extends' && !['stages', 'jobs', 'steps'].includes(k));
    const theirs = expanded.entries.filter(([k]) => k !== 'parameters');
    return { kind: 'map', at: resolved.at, entries: [...own.filter(([k]) => !theirs.some(([t]) => t === k)), ...theirs] };
  }

  private find(root: YamlNode, key: string): YamlNode {
    return child(root, key);
  }

  private one(r: Resolved): RNode | undefined {
    if (r === undefined) return undefined;
    if ('spread' in r) return r.spread[0];
    return r;
  }

  private count(at: Origin): boolean {
    if (this.stopped) return false;
    if (++this.nodes > maxNodes) {
      this.stopped = true;
      this.error('azure-too-large', `Templates expand to more than ${maxNodes.toLocaleString('en-US')} YAML nodes; the rest is not read.`, at);
      return false;
    }
    return true;
  }

  resolve(node: YamlNode, scope: Scope, parentKey: string | undefined): Resolved {
    const at: Origin = { doc: node.doc, file: node.file, path: node.path };
    if (!this.count(at)) return undefined;
    if (this.depth >= maxResolveDepth) {
      if (!this.stopped) this.error('azure-too-deep', `Templates nest values more than ${maxResolveDepth} levels deep; the rest is not read.`, at);
      this.stopped = true;
      return undefined;
    }
    this.depth++;
    try {
      return this.resolveValue(node, at, scope, parentKey);
    } finally {
      this.depth--;
    }
  }

  private resolveValue(node: YamlNode, at: Origin, scope: Scope, parentKey: string | undefined): Resolved {
    const v = node.value;
    if (typeof v === 'string') return this.scalarString(v, at, scope);
    if (v === null || v === undefined || typeof v === 'number' || typeof v === 'boolean') return { kind: 'scalar', value: v ?? null, at };
    if (Array.isArray(v)) return { kind: 'list', items: this.list(node, scope, parentKey), at };
    if (isMap(v)) return { kind: 'map', entries: this.map(node, scope), at };
    return { kind: 'scalar', value: String(v), at };
  }

  private scalarString(v: string, at: Origin, scope: Scope): Resolved {
    if (!v.includes('${{')) return { kind: 'scalar', value: v, at };
    const whole = /^\s*\$\{\{([\s\S]*?)\}\}\s*$/.exec(v);
    if (whole && !whole[1]!.includes('}}')) {
      const value = this.evaluate(whole[1]!, scope, at);
      if (value === unknownValue) return { kind: 'scalar', value: v, at };
      return this.fromPlain(value, at);
    }
    const substituted = v.replace(/\$\{\{([\s\S]*?)\}\}/g, (m, inner: string) => {
      const value = this.evaluate(inner, scope, at);
      return value === unknownValue ? m : textOf(value);
    });
    return { kind: 'scalar', value: substituted, at };
  }

  private evaluate(source: string, scope: Scope, at: Origin): unknown {
    let expr: AzureExpr;
    try {
      expr = parseAzureExpression(source.trim());
    } catch (error) {
      this.error('azure-expression', `The expression \${{${source}}} cannot be read: ${(error as Error).message}`, at);
      return unknownValue;
    }
    return evaluateAzure(expr, { contexts: scope.contexts });
  }

  private map(node: YamlNode, scope: Scope): [string, RNode][] {
    const out: [string, RNode][] = [];
    let chain: { done: boolean } | undefined;
    const merge = (r: Resolved): void => {
      const n = this.one(r);
      if (n?.kind === 'map') out.push(...n.entries.map(([k, v]) => [k, v] as [string, RNode]));
    };
    for (const [key, value] of entries(node)) {
      const directive = parseDirective(key);
      if (directive) {
        const at: Origin = { doc: value.doc, file: value.file, path: value.path };
        const taken = this.directive(directive, chain, scope, at);
        chain = taken.chain;
        if (taken.scopes) for (const s of taken.scopes) merge(this.resolve(value, s, undefined));
        continue;
      }
      chain = undefined;
      const keyText = key.includes('${{') ? (text(this.one(this.scalarString(key, { doc: value.doc, file: value.file, path: value.path }, scope))) ?? key) : key;
      const resolved = this.resolve(value, scope, keyText);
      if (resolved === undefined) continue;
      if ('spread' in resolved) out.push([keyText, { kind: 'list', items: resolved.spread, at: { doc: value.doc, file: value.file, path: value.path } }]);
      else out.push([keyText, resolved]);
    }
    return out;
  }

  private list(node: YamlNode, scope: Scope, parentKey: string | undefined): RNode[] {
    const out: RNode[] = [];
    let chain: { done: boolean } | undefined;
    const add = (r: Resolved): void => {
      if (r === undefined) return;
      if ('spread' in r) out.push(...r.spread);
      else out.push(r);
    };
    for (const item of items(node)) {
      if (this.stopped) break;
      const v = item.value;
      if (isMap(v)) {
        const keys = Object.keys(v);
        const directive = keys.length === 1 ? parseDirective(keys[0]!) : undefined;
        if (directive) {
          const body = child(item, keys[0]!);
          const at: Origin = { doc: body.doc, file: body.file, path: body.path };
          const taken = this.directive(directive, chain, scope, at);
          chain = taken.chain;
          if (taken.scopes) {
            for (const s of taken.scopes) {
              const r = this.resolve(body, s, parentKey);
              if (r && !('spread' in r) && r.kind === 'list') out.push(...r.items);
              else add(r);
            }
          }
          continue;
        }
        chain = undefined;
        if (parentKey !== undefined && templateLists.has(parentKey) && typeof v.template === 'string' && !('task' in v)) {
          const at: Origin = { doc: item.doc, file: item.file, path: item.path };
          const path = text(this.one(this.scalarString(v.template, at, scope))) ?? v.template;
          const params = 'parameters' in v ? this.one(this.resolve(child(item, 'parameters'), scope, 'parameters')) : undefined;
          const expanded = this.loadTemplate(path, params, scope, parentKey, child(item, 'template'));
          if (expanded?.kind === 'list') out.push(...expanded.items);
          continue;
        }
      } else {
        chain = undefined;
      }
      const r = this.resolve(item, scope, undefined);
      // `- ${{ parameters.steps }}` inserts the items of a list parameter.
      if (typeof v === 'string' && r && !('spread' in r) && r.kind === 'list') out.push(...r.items);
      else add(r);
    }
    return out;
  }

  /** `${{ if }}` / `elseif` / `else` / `each` / `insert`: which scopes to resolve the body in (none: skip it). */
  private directive(d: Directive, chain: { done: boolean } | undefined, scope: Scope, at: Origin): { chain: { done: boolean } | undefined; scopes?: Scope[] } {
    switch (d.kind) {
      case 'if':
      case 'elseif': {
        if (d.kind === 'elseif' && (!chain || chain.done)) return { chain };
        const value = this.evaluate(d.expression, scope, at);
        const truth = isTrue(value);
        if (truth === unknownValue) {
          this.info(at, 'A ${{ if }} condition depends on values known only in a run; its first branch is shown.');
          return { chain: { done: true }, scopes: [scope] };
        }
        return truth ? { chain: { done: true }, scopes: [scope] } : { chain: { done: false } };
      }
      case 'else':
        if (!chain || chain.done) return { chain: undefined };
        return { chain: undefined, scopes: [scope] };
      case 'insert':
        return { chain: undefined, scopes: [scope] };
      case 'each': {
        const collection = this.evaluate(d.expression, scope, at);
        if (collection === unknownValue || collection === null || typeof collection !== 'object') {
          if (collection === unknownValue) this.info(at, 'An ${{ each }} loops over values known only in a run; its body is not shown.');
          return { chain: undefined, scopes: [] };
        }
        const list: unknown[] = Array.isArray(collection)
          ? collection
          : Object.entries(collection as Record<string, unknown>).map(([key, value]) => ({ key, value }));
        if (list.length > maxEachItems) this.error('azure-too-large', `An \${{ each }} loops over ${list.length} items; only the first ${maxEachItems} are read.`, at);
        return { chain: undefined, scopes: list.slice(0, maxEachItems).map((item) => ({ ...scope, contexts: { ...scope.contexts, [d.variable!]: item } })) };
      }
    }
  }

  private info(at: Origin, message: string): void {
    const key = `${at.file}|${message}`;
    if (this.warnedFiles.has(key)) return;
    this.warnedFiles.add(key);
    this.diagnostics.push(diagnosticAt('info', 'azure-template-expression', message, rangeOfNode(asYamlNode(at))));
  }

  private error(code: string, message: string, at: Origin): void {
    this.diagnostics.push(diagnosticAt('error', code, message, rangeOfNode(asYamlNode(at))));
  }

  /**
   * Reads a template and resolves the list of `kind` in it (or, for `extends`, the whole
   * pipeline) with its parameters. Undefined when it cannot be used (the reason is reported).
   */
  private loadTemplate(path: string, given: RNode | undefined, scope: Scope, kind: string, pathNode: YamlNode): RNode | undefined {
    if (path.includes('@')) {
      this.diagnostics.push(diagnosticAt('info', 'azure-template-remote', `The template ${path} lives in another repository and is not read offline.`, rangeOfNode(pathNode)));
      return undefined;
    }
    const relative = normalizeRelativePath(path.startsWith('/') ? path.slice(1) : `${dirnameOf(scope.file)}/${path}`);
    if (!relative) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template-path', `The template path ${path} leaves the repository.`, rangeOfNode(pathNode)));
      return undefined;
    }
    if (scope.chain.includes(relative)) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template-cycle', `Templates include each other in a loop: ${[...scope.chain, relative].join(' → ')}.`, rangeOfNode(pathNode)));
      return undefined;
    }
    if (scope.chain.length > maxTemplateDepth) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template-depth', `Templates nest more than ${maxTemplateDepth} levels deep.`, rangeOfNode(pathNode)));
      return undefined;
    }
    if (!this.loaded.has(relative) && ++this.templateCount > maxTemplates) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template-count', `A pipeline may include at most ${maxTemplates} template files; ${relative} is one too many.`, rangeOfNode(pathNode)));
      return undefined;
    }
    const doc = this.load(relative, pathNode);
    if (!doc) return undefined;
    this.templateFiles.add(relative);
    const root = rootNode(doc, relative);
    if (!isMap(root.value)) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template', `The template ${relative} must be a YAML mapping.`, rangeOfNode(root)));
      return undefined;
    }
    const params = this.parameterValues(root, given, relative, pathNode);
    if (params === undefined) return undefined;
    const inner: Scope = { file: relative, contexts: { parameters: params, variables: scope.contexts.variables ?? {} }, chain: [...scope.chain, relative] };
    if (kind === 'extends') return this.one(this.resolve(root, inner, undefined));
    if (!(kind in root.value)) {
      this.diagnostics.push(diagnosticAt('error', 'azure-template-kind', `The template ${relative} is used in a ${kind} list but has no ${kind}:.`, rangeOfNode(pathNode)));
      return undefined;
    }
    const resolved = this.one(this.resolve(child(root, kind), inner, kind));
    return resolved?.kind === 'list' ? resolved : resolved ? { kind: 'list', items: [resolved], at: resolved.at } : undefined;
  }

  private load(relative: string, at: YamlNode): YamlDocument | undefined {
    if (this.loaded.has(relative)) return this.loaded.get(relative);
    let doc: YamlDocument | undefined;
    if (!this.readFile) {
      this.diagnostics.push(diagnosticAt('info', 'azure-template-not-read', `The template ${relative} was not read here.`, rangeOfNode(at)));
    } else {
      let content: string | undefined;
      try {
        content = this.readFile(relative);
      } catch (error) {
        const message = OpsloopError.is(error) || error instanceof Error ? error.message : String(error);
        this.diagnostics.push(diagnosticAt('error', 'azure-template-unreadable', `The template ${relative} could not be read: ${message}`, rangeOfNode(at)));
      }
      if (content === undefined) {
        if (!this.diagnostics.some((d) => d.code === 'azure-template-unreadable' && d.message.includes(relative))) {
          this.diagnostics.push(diagnosticAt('error', 'azure-template-missing', `The template ${relative} does not exist.`, rangeOfNode(at)));
        }
      } else {
        const loaded = loadYaml(content, relative, this.limits ? { limits: this.limits } : {});
        this.diagnostics.push(...loaded.diagnostics);
        if (loaded.value !== undefined) doc = loaded;
      }
    }
    this.loaded.set(relative, doc);
    return doc;
  }

  /**
   * A template's parameters: declared defaults overridden by the given values. Reports
   * parameters that are given but not declared and declared ones without value or default.
   */
  private parameterValues(root: YamlNode, given: RNode | undefined, file: string, at?: YamlNode): Record<string, unknown> | undefined {
    const values: Record<string, unknown> = {};
    const declared = child(root, 'parameters');
    const names = new Set<string>();
    const required: string[] = [];
    if (Array.isArray(declared.value)) {
      for (const p of items(declared)) {
        if (!isMap(p.value) || typeof p.value.name !== 'string') continue;
        names.add(p.value.name);
        if ('default' in p.value) values[p.value.name] = this.plain(this.one(this.resolve(child(p, 'default'), { file, contexts: {}, chain: [file] }, undefined)));
        else required.push(p.value.name);
      }
    } else if (isMap(declared.value)) {
      // The older form: `parameters: { name: default }`.
      for (const [name, v] of entries(declared)) {
        names.add(name);
        values[name] = this.plain(this.one(this.resolve(v, { file, contexts: {}, chain: [file] }, undefined)));
      }
    }
    if (given?.kind === 'map') {
      for (const [name, v] of given.entries) {
        if (Array.isArray(declared.value) && !names.has(name)) {
          this.diagnostics.push(diagnosticAt('error', 'azure-template-parameter', `The template ${file} has no parameter '${name}'.`, rangeOfNode(asYamlNode(v.at))));
          continue;
        }
        values[name] = this.plain(v);
      }
    }
    if (at) {
      const missing = required.filter((n) => !(n in values));
      if (missing.length > 0) {
        this.diagnostics.push(diagnosticAt('error', 'azure-template-parameter', `The template ${file} needs a value for ${missing.map((m) => `'${m}'`).join(', ')}.`, rangeOfNode(at)));
      }
    }
    return values;
  }

  /** Plain data for expressions; objects remember where they were written. */
  private plain(node: RNode | undefined): unknown {
    if (!node) return null;
    if (node.kind === 'scalar') return node.value;
    if (node.kind === 'list') {
      const out = node.items.map((i) => this.plain(i));
      this.origins.set(out, node.at);
      return out;
    }
    const out: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of node.entries) out[k] = this.plain(v);
    this.origins.set(out, node.at);
    return out;
  }

  /** A value an expression produced, as resolved nodes; where it came from if known, else where the expression is. */
  private fromPlain(value: unknown, fallback: Origin, depth = 0): RNode {
    const at = (value !== null && typeof value === 'object' && this.origins.get(value)) || fallback;
    if (depth > 100) return { kind: 'scalar', value: null, at };
    if (Array.isArray(value)) return { kind: 'list', items: value.map((v, i) => this.fromPlain(v, { ...at, path: [...at.path, i] }, depth + 1)), at };
    if (value !== null && typeof value === 'object') {
      return { kind: 'map', entries: Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, this.fromPlain(v, { ...at, path: [...at.path, k] }, depth + 1)] as const), at };
    }
    if (value === undefined) return { kind: 'scalar', value: null, at };
    return { kind: 'scalar', value: value as string | number | boolean | null, at };
  }
}

interface Directive {
  readonly kind: 'if' | 'elseif' | 'else' | 'each' | 'insert';
  readonly expression: string;
  readonly variable?: string;
}

function parseDirective(key: string): Directive | undefined {
  const m = /^\s*\$\{\{\s*(if|elseif|else|each|insert)\b([\s\S]*?)\}\}\s*$/.exec(key);
  if (!m) return undefined;
  const kind = m[1] as Directive['kind'];
  const rest = m[2]!.trim();
  if (kind === 'each') {
    const each = /^([A-Za-z_][A-Za-z0-9_]*)\s+in\s+([\s\S]+)$/.exec(rest);
    if (!each) return { kind: 'each', expression: 'null', variable: '_' };
    return { kind, expression: each[2]!, variable: each[1]! };
  }
  return { kind, expression: rest };
}

/** Root `variables:` in map form, for `${{ variables.x }}`. */
function knownVariables(root: YamlNode): Record<string, unknown> {
  const vars = child(root, 'variables').value;
  const out: Record<string, unknown> = {};
  if (isMap(vars)) {
    for (const [k, v] of Object.entries(vars)) if (typeof v !== 'object' || v === null) out[k] = v;
  } else if (Array.isArray(vars)) {
    for (const v of vars) if (isMap(v) && typeof v.name === 'string' && (typeof v.value !== 'object' || v.value === null)) out[v.name] = v.value;
  }
  return out;
}
