/**
 * `.opsloop.yml` text → `OpsloopConfig` plus diagnostics with line numbers. Invalid entries are
 * left out of the config and reported; valid ones are kept, so one typo does not switch off
 * every source. Nothing here throws on bad input.
 */
import { parseDuration } from '../telemetry/time';
import { type LoadedDocument, type Path, type TextRange, loadDocument } from './configDocument';
import {
  type DeploymentConfig,
  type FileSourceConfig,
  type HttpSourceConfig,
  type LogConfig,
  type OpsloopConfig,
  type QueryConfig,
  type ServiceConfig,
  type SourceConfig,
  deploymentKinds,
  fileFormats,
  logKinds,
  sourceKinds,
} from './opsloopConfig';

export interface ConfigDiagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  /** 1-based. */
  readonly range: TextRange;
  readonly path: Path;
}

export interface ConfigLoadResult {
  readonly config: OpsloopConfig;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

/** Header names that carry credentials: never accepted from the workspace file. */
const secretHeaders = new Set(['authorization', 'proxy-authorization', 'cookie', 'dd-api-key', 'dd-application-key', 'x-api-key', 'x-auth-token', 'api-token']);

/** Limit on list lengths (an alias bomb or a generated file must not make validation grow). */
const maxEntries = 5000;

type Obj = Record<string, unknown>;

export function parseOpsloopConfig(text: string, file = '.opsloop.yml', load: (text: string, file: string) => LoadedDocument = loadDocument): ConfigLoadResult {
  return validateOpsloopConfig(load(text, file));
}

export function validateOpsloopConfig(doc: LoadedDocument): ConfigLoadResult {
  const v = new Validator(doc);
  const config = v.root();
  const diagnostics = [...v.diagnostics].sort((a, b) => a.range.line - b.range.line || a.range.column - b.range.column);
  return { config, diagnostics };
}

class Validator {
  readonly diagnostics: ConfigDiagnostic[] = [];

  constructor(private readonly doc: LoadedDocument) {
    for (const d of doc.diagnostics) this.diagnostics.push({ severity: d.severity, message: d.message, range: d.range, path: [] });
  }

  private report(severity: ConfigDiagnostic['severity'], path: Path, message: string, part: 'key' | 'value' = 'value'): void {
    const range = this.doc.rangeOf(path, part) ?? { line: 1, column: 1, endLine: 1, endColumn: 1 };
    this.diagnostics.push({ severity, message, range, path });
  }
  private error(path: Path, message: string, part?: 'key' | 'value'): void {
    this.report('error', path, message, part);
  }
  private warn(path: Path, message: string, part?: 'key' | 'value'): void {
    this.report('warning', path, message, part);
  }

  root(): OpsloopConfig {
    const value = this.doc.value;
    const empty: OpsloopConfig = { services: [], sources: [], queries: [], deployments: [], logs: [] };
    if (value === undefined && this.doc.diagnostics.some((d) => d.severity === 'error')) return empty;
    if (value === undefined || value === null) {
      this.report('info', [], 'The file is empty: add services, telemetry sources and queries (see docs/telemetry.md).');
      return empty;
    }
    if (!isObj(value)) {
      this.error([], 'The top level must be a mapping with services, telemetry, deployments and logs.');
      return empty;
    }
    this.keys(value, [], ['version', 'services', 'telemetry', 'deployments', 'logs']);
    if (value.version !== undefined && value.version !== 1) this.error(['version'], `Unknown version ${JSON.stringify(value.version)}: this Opsloop reads version 1.`);

    this.unique(value.services, ['services'], 'service');
    const services = this.firstOfEach(this.list(value.services, ['services'], (item, path) => this.service(item, path)));

    let sources: SourceConfig[] = [];
    let queries: QueryConfig[] = [];
    if (value.telemetry !== undefined && value.telemetry !== null) {
      if (!isObj(value.telemetry)) this.error(['telemetry'], 'telemetry must be a mapping with sources and queries.');
      else {
        const t = value.telemetry;
        this.keys(t, ['telemetry'], ['sources', 'queries']);
        this.unique(t.sources, ['telemetry', 'sources'], 'source');
        sources = this.firstOfEach(this.list(t.sources, ['telemetry', 'sources'], (item, path) => this.source(item, path)));
        const sourceNames = new Set(sources.map((s) => s.name));
        const serviceNames = new Set(services.map((s) => s.name));
        queries = this.list(t.queries, ['telemetry', 'queries'], (item, path) => this.query(item, path, sourceNames, serviceNames));
      }
    }
    const sourceByName = new Map(sources.map((s) => [s.name, s]));
    const deployments = this.list(value.deployments, ['deployments'], (item, path) => this.deployment(item, path, sourceByName));
    const logs = this.list(value.logs, ['logs'], (item, path) => this.log(item, path, sourceByName));
    return { services, sources, queries, deployments, logs };
  }

  private keys(obj: Obj, path: Path, allowed: readonly string[]): void {
    for (const key of Object.keys(obj)) {
      if (allowed.includes(key)) continue;
      const guess = closest(key, allowed);
      this.warn([...path, key], `Unknown key '${key}'${guess ? `: did you mean '${guess}'?` : ` (expected one of: ${allowed.join(', ')})`}`, 'key');
    }
  }

  private list<T>(value: unknown, path: Path, item: (value: unknown, path: Path) => T | undefined): T[] {
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      this.error(path, `${String(path[path.length - 1])} must be a list (items start with '- ').`);
      return [];
    }
    if (value.length > maxEntries) {
      this.error(path, `${value.length} entries: Opsloop reads at most ${maxEntries}.`);
      return [];
    }
    const out: T[] = [];
    value.forEach((v, i) => {
      const r = item(v, [...path, i]);
      if (r !== undefined) out.push(r);
    });
    return out;
  }

  /** Reports the second and later entries of `raw` whose name was used before; returns the names to drop. */
  private unique(raw: unknown, path: Path, what: string): Set<string> {
    const seen = new Set<string>();
    const dropped = new Set<string>();
    if (!Array.isArray(raw) || raw.length > maxEntries) return dropped;
    raw.forEach((item, i) => {
      const name = isObj(item) && typeof item.name === 'string' ? item.name : undefined;
      if (name === undefined) return;
      if (seen.has(name)) {
        this.error([...path, i, 'name'], `Another ${what} is already named '${name}': names must be unique (this one is ignored).`);
        dropped.add(name);
      }
      seen.add(name);
    });
    return dropped;
  }

  /** Keeps the first entry of each name. */
  private firstOfEach<T extends { name: string }>(items: T[]): T[] {
    const seen = new Set<string>();
    return items.filter((i) => !seen.has(i.name) && (seen.add(i.name), true));
  }

  private str(obj: Obj, key: string, path: Path, required: boolean): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.error(path, `Missing '${key}'.`);
      return undefined;
    }
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      this.error([...path, key], `'${key}' must be text.`);
      return undefined;
    }
    if (required && v.trim() === '') {
      this.error([...path, key], `'${key}' is empty.`);
      return undefined;
    }
    return v;
  }

  private enumOf<T extends string>(obj: Obj, key: string, path: Path, values: readonly T[], required: boolean): T | undefined {
    const v = this.str(obj, key, path, required);
    if (v === undefined) return undefined;
    if ((values as readonly string[]).includes(v)) return v as T;
    const guess = closest(v, values);
    this.error([...path, key], `'${v}' is not a valid ${key}${guess ? `: did you mean '${guess}'?` : ''} (one of: ${values.join(', ')}).`);
    return undefined;
  }

  private duration(obj: Obj, key: string, path: Path, min: number, max: number): number | undefined {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    let seconds: number;
    try {
      seconds = typeof v === 'number' ? v : parseDuration(String(v));
    } catch {
      this.error([...path, key], `'${String(v)}' is not a duration: write e.g. 15s, 1m, 2h or a number of seconds.`);
      return undefined;
    }
    if (!(seconds >= min && seconds <= max)) {
      this.error([...path, key], `${key} must be between ${min} and ${max} seconds.`);
      return undefined;
    }
    return seconds;
  }

  private service(item: unknown, path: Path): ServiceConfig | undefined {
    if (!isObj(item)) {
      this.error(path, 'A service is a mapping with name and paths.');
      return undefined;
    }
    this.keys(item, path, ['name', 'paths', 'environment']);
    const name = this.str(item, 'name', path, true);
    if (name === undefined) return undefined;
    let paths: string[] = [];
    const p = item.paths;
    if (typeof p === 'string') paths = [p];
    else if (Array.isArray(p)) {
      paths = p.filter((x, i) => {
        if (typeof x === 'string') return true;
        this.error([...path, 'paths', i], 'A path glob must be text.');
        return false;
      }) as string[];
    } else if (p !== undefined && p !== null) this.error([...path, 'paths'], 'paths must be a list of globs, e.g. ["services/checkout/**"].');
    const environment = this.str(item, 'environment', path, false);
    return { name, paths, ...(environment !== undefined ? { environment } : {}) };
  }

  private source(item: unknown, path: Path): SourceConfig | undefined {
    if (!isObj(item)) {
      this.error(path, 'A source is a mapping with name, kind and url (or path for files).');
      return undefined;
    }
    const name = this.str(item, 'name', path, true);
    const kind = this.enumOf(item, 'kind', path, sourceKinds, true);
    const common = ['name', 'kind', 'environment', 'minStep', 'timeout'];
    if (name === undefined || kind === undefined) {
      this.keys(item, path, [...common, 'url', 'headers', 'auth', 'path', 'format', 'timestampUnit']);
      return undefined;
    }
    const environment = this.str(item, 'environment', path, false);
    const minStepSeconds = this.duration(item, 'minStep', path, 0.001, 86_400);
    const timeoutSeconds = this.duration(item, 'timeout', path, 1, 600);
    const base = {
      name,
      ...(environment !== undefined ? { environment } : {}),
      ...(minStepSeconds !== undefined ? { minStepSeconds } : {}),
      ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}),
    };
    if (kind === 'file') {
      this.keys(item, path, [...common, 'path', 'format', 'timestampUnit']);
      if (item.url !== undefined) this.error([...path, 'url'], 'A file source reads a path, not a url.', 'key');
      const file = this.str(item, 'path', path, true);
      if (file === undefined) return undefined;
      if (/^([a-zA-Z]:)?[\\/]/.test(file) || escapesRoot(file)) {
        this.warn([...path, 'path'], `'${file}' is outside the workspace: Opsloop reads it only in a trusted workspace.`);
      }
      const format = this.enumOf(item, 'format', path, fileFormats, false);
      const timestampUnit = this.enumOf(item, 'timestampUnit', path, ['seconds', 'milliseconds'] as const, false);
      const source: FileSourceConfig = { ...base, kind, path: file, ...(format ? { format } : {}), ...(timestampUnit ? { timestampUnit } : {}) };
      return source;
    }
    this.keys(item, path, [...common, 'url', 'headers', 'auth']);
    if (item.path !== undefined) this.error([...path, 'path'], `A ${kind} source has a url; 'path' is for kind: file.`, 'key');
    let url = this.str(item, 'url', path, kind !== 'datadog');
    if (url === undefined && kind !== 'datadog') return undefined;
    url ??= 'https://api.datadoghq.com';
    const checked = this.url(url, [...path, 'url'], kind);
    if (checked === undefined) return undefined;
    let headers: Record<string, string> | undefined;
    if (item.headers !== undefined && item.headers !== null) {
      if (!isObj(item.headers)) this.error([...path, 'headers'], 'headers must be a mapping of header name to value.');
      else {
        headers = {};
        for (const [h, value] of Object.entries(item.headers)) {
          if (secretHeaders.has(h.toLowerCase())) {
            this.error([...path, 'headers', h], `'${h}' carries a credential: store it with "Opsloop: Set Token" (or an environment variable for the CLI), never in the workspace file.`, 'key');
            continue;
          }
          if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(h)) {
            this.error([...path, 'headers', h], `'${h}' is not a valid header name.`, 'key');
            continue;
          }
          if (typeof value !== 'string' && typeof value !== 'number') {
            this.error([...path, 'headers', h], 'A header value must be text.');
            continue;
          }
          Object.defineProperty(headers, h, { value: String(value), enumerable: true, writable: true, configurable: true });
        }
      }
    }
    const authChoices: Record<string, readonly ('bearer' | 'basic' | 'splunk' | 'none')[]> = {
      prometheus: ['bearer', 'basic', 'none'],
      splunk: ['bearer', 'splunk'],
      dynatrace: ['bearer'],
      datadog: ['bearer'],
    };
    const auth = item.auth === undefined ? undefined : this.enumOf(item, 'auth', path, authChoices[kind]!, false);
    const source: HttpSourceConfig = { ...base, kind, url: checked, ...(headers ? { headers } : {}), ...(auth ? { auth } : {}) };
    return source;
  }

  private url(text: string, path: Path, kind: string): string | undefined {
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      this.error(path, `'${text}' is not a URL: write it with its scheme, e.g. https://prometheus.example:9090.`);
      return undefined;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      this.error(path, `A ${kind} URL must start with https:// or http://.`);
      return undefined;
    }
    if (u.username || u.password) {
      this.error(path, 'The URL contains a user name or password: remove it and store the credential with "Opsloop: Set Token".');
      return undefined;
    }
    if (u.search || u.hash) this.warn(path, 'The query string or fragment of a source URL is ignored.');
    if (u.protocol === 'http:' && !isLoopback(u.hostname)) {
      this.warn(path, `Plain http to ${u.host}: a token sent there travels unencrypted. Use https unless this is a trusted network.`);
    }
    return `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  }

  private query(item: unknown, path: Path, sources: Set<string>, services: Set<string>): QueryConfig | undefined {
    if (!isObj(item)) {
      this.error(path, 'A query is a mapping with name, source and query.');
      return undefined;
    }
    this.keys(item, path, ['name', 'source', 'query', 'service', 'unit', 'step']);
    const name = this.str(item, 'name', path, true);
    const source = this.str(item, 'source', path, true);
    const query = this.str(item, 'query', path, true);
    const service = this.str(item, 'service', path, false);
    const unit = this.str(item, 'unit', path, false);
    const stepSeconds = this.duration(item, 'step', path, 0.001, 7 * 86_400);
    if (name === undefined || source === undefined || query === undefined) return undefined;
    if (!sources.has(source)) {
      this.error([...path, 'source'], `No source is named '${source}'${sources.size ? ` (sources: ${[...sources].join(', ')})` : ': add it under telemetry.sources'}.`);
      return undefined;
    }
    if (service !== undefined && services.size > 0 && !services.has(service)) this.warn([...path, 'service'], `No service is named '${service}' under services.`);
    return { name, source, query, ...(service !== undefined ? { service } : {}), ...(unit !== undefined ? { unit } : {}), ...(stepSeconds !== undefined ? { stepSeconds } : {}) };
  }

  private deployment(item: unknown, path: Path, sources: Map<string, SourceConfig>): DeploymentConfig | undefined {
    if (!isObj(item)) {
      this.error(path, 'A deployment entry is a mapping with a kind (buildInfo, pipeline or gitTags).');
      return undefined;
    }
    const kind = this.enumOf(item, 'kind', path, deploymentKinds, true);
    const service = this.str(item, 'service', path, false);
    const environment = this.str(item, 'environment', path, false);
    const extra = { ...(service !== undefined ? { service } : {}), ...(environment !== undefined ? { environment } : {}) };
    switch (kind) {
      case 'buildInfo': {
        this.keys(item, path, ['kind', 'source', 'query', 'service', 'environment', 'revisionLabel']);
        const source = this.str(item, 'source', path, true);
        const query = this.str(item, 'query', path, true);
        const revisionLabel = this.str(item, 'revisionLabel', path, false);
        if (source === undefined || query === undefined) return undefined;
        if (!sources.has(source)) {
          this.error([...path, 'source'], `No source is named '${source}'.`);
          return undefined;
        }
        return { kind, source, query, ...extra, ...(revisionLabel !== undefined ? { revisionLabel } : {}) };
      }
      case 'pipeline': {
        this.keys(item, path, ['kind', 'jobs', 'service', 'environment']);
        let jobs: string[] | undefined;
        if (typeof item.jobs === 'string') jobs = [item.jobs];
        else if (Array.isArray(item.jobs)) jobs = item.jobs.filter((j): j is string => typeof j === 'string');
        else if (item.jobs !== undefined && item.jobs !== null) this.error([...path, 'jobs'], 'jobs must be a list of job name globs.');
        return { kind, ...extra, ...(jobs ? { jobs } : {}) };
      }
      case 'gitTags': {
        this.keys(item, path, ['kind', 'pattern', 'service', 'environment']);
        const pattern = this.str(item, 'pattern', path, true);
        if (pattern === undefined) return undefined;
        return { kind, pattern, ...extra };
      }
      default:
        this.keys(item, path, ['kind', 'source', 'query', 'service', 'environment', 'revisionLabel', 'jobs', 'pattern']);
        return undefined;
    }
  }

  private log(item: unknown, path: Path, sources: Map<string, SourceConfig>): LogConfig | undefined {
    if (!isObj(item)) {
      this.error(path, 'A log entry is a mapping with kind and path (or source and query for splunk).');
      return undefined;
    }
    this.keys(item, path, ['kind', 'source', 'path', 'query', 'service']);
    const kind = this.enumOf(item, 'kind', path, logKinds, true);
    const source = this.str(item, 'source', path, false);
    const file = this.str(item, 'path', path, kind === 'file');
    const query = this.str(item, 'query', path, kind === 'splunk');
    const service = this.str(item, 'service', path, false);
    if (kind === undefined) return undefined;
    if (source !== undefined && !sources.has(source)) {
      this.error([...path, 'source'], `No source is named '${source}'.`);
      return undefined;
    }
    if (kind === 'file') {
      if (file === undefined) return undefined;
      if (/^([a-zA-Z]:)?[\\/]/.test(file) || escapesRoot(file)) this.warn([...path, 'path'], `'${file}' is outside the workspace: Opsloop reads it only in a trusted workspace.`);
    } else {
      if (source === undefined) {
        this.error(path, "A splunk log entry needs 'source' naming a splunk source.");
        return undefined;
      }
      if (sources.get(source)?.kind !== 'splunk') {
        this.error([...path, 'source'], `'${source}' is not a splunk source.`);
        return undefined;
      }
      if (query === undefined) return undefined;
    }
    return {
      kind,
      ...(source !== undefined ? { source } : {}),
      ...(file !== undefined ? { path: file } : {}),
      ...(query !== undefined ? { query } : {}),
      ...(service !== undefined ? { service } : {}),
    };
  }
}

function isObj(v: unknown): v is Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\./.test(h);
}

/** True when a relative path climbs above its root (`../x`, `a/../../x`). */
export function escapesRoot(path: string): boolean {
  let depth = 0;
  for (const part of path.split(/[\\/]+/)) {
    if (part === '..') depth--;
    else if (part !== '.' && part !== '') depth++;
    if (depth < 0) return true;
  }
  return false;
}

/** The allowed word closest to a typo (edit distance ≤ 2), for "did you mean". */
function closest(word: string, choices: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const c of choices) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
