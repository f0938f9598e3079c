import type { Diagnostic, SourceRange } from '../model';
import { normalizeRelativePath } from '../parserSupport';
import { loadYaml, type LoadedYaml, type YamlLimits } from '../yaml/yamlLoader';
import type { GitlabFileSource } from './gitlabContext';
import { isIncludeWildcard } from './globs';
import { matchRules, type RuleEnvironment, type RuleProblem } from './rules';
import { expandServer } from './variables';
import { deepMerge, get, has, isMap, scalarText, set, type YamlMap } from './yamlData';

/**
 * `include:` as GitLab resolves it: every included file is itself expanded (its includes first,
 * then its own content), the results are deep-merged in order, and the including file's content
 * is merged last, so it wins. Local files (and their wildcards) are read from the repository;
 * remote, project, template and component includes cannot be read offline: they are reported and
 * the rest of the plan still builds.
 */

export const MAX_INCLUDES = 150;

export interface GitlabFile {
  readonly file: string;
  readonly yaml: LoadedYaml;
}

export interface IncludeResult {
  /** The merged configuration, `include` removed; undefined when the root file could not be read. */
  readonly config: YamlMap | undefined;
  /** Every file read, root first. */
  readonly files: readonly GitlabFile[];
  /** For each top-level key, the files that write it, in merge order (the last one wins). */
  readonly definitions: ReadonlyMap<string, readonly GitlabFile[]>;
  readonly diagnostics: readonly Diagnostic[];
  /** Local files included, counting repeats (GitLab's limit counts them too). */
  readonly includeCount: number;
}

export interface IncludeOptions {
  readonly source: GitlabFileSource;
  /** Variables include paths and include:rules may use (project, pipeline and predefined). */
  readonly env: RuleEnvironment;
  readonly limits?: Partial<YamlLimits>;
  readonly maxIncludes?: number;
}

function diagnostic(severity: Diagnostic['severity'], code: string, message: string, range: SourceRange): Diagnostic {
  return { severity, code, message, file: range.file, line: range.startLine, column: range.startColumn, endLine: range.endLine, endColumn: range.endColumn };
}

export function resolveIncludes(rootFile: string, rootText: string | undefined, options: IncludeOptions): IncludeResult {
  const diagnostics: Diagnostic[] = [];
  const files: GitlabFile[] = [];
  const loaded = new Map<string, { yaml: LoadedYaml; content: YamlMap | undefined }>();
  const definitions = new Map<string, GitlabFile[]>();
  const maxIncludes = options.maxIncludes ?? MAX_INCLUDES;
  let count = 0;
  let stopped = false;

  const load = (file: string, text: string): { yaml: LoadedYaml; content: YamlMap | undefined } => {
    const known = loaded.get(file);
    if (known) return known;
    const yaml = loadYaml(text, file, { gitlabTags: true, documents: 'gitlabHeader', duplicateKeys: 'warning', ...(options.limits ? { limits: options.limits } : {}) });
    diagnostics.push(...yaml.diagnostics.map((d) => (d.code === 'yaml-duplicate-key' ? { ...d, message: `${d.message.replace(/ the last one wins\.$/, '')} GitLab keeps the last one.` } : d)));
    let content: YamlMap | undefined;
    if (yaml.value === undefined || yaml.value === null) {
      content = yaml.diagnostics.some((d) => d.severity === 'error') ? undefined : {};
    } else if (!isMap(yaml.value)) {
      diagnostics.push(diagnostic('error', 'gitlab-invalid-config', 'A GitLab CI file must be a mapping of keywords and jobs.', yaml.nearestRangeOf([])));
    } else {
      content = yaml.value;
    }
    const entry = { yaml, content };
    loaded.set(file, entry);
    files.push({ file, yaml });
    return entry;
  };

  /** The layers of one file, in merge order: its includes' layers, then its own content. */
  const expand = (file: string, text: string, chain: readonly string[]): { layer: YamlMap; from: GitlabFile }[] => {
    const { yaml, content } = load(file, text);
    if (!content) return [];
    const me: GitlabFile = { file, yaml };
    const layers: { layer: YamlMap; from: GitlabFile }[] = [];
    if (has(content, 'include')) {
      const include = get(content, 'include');
      const entries: [unknown, (string | number)[]][] = Array.isArray(include) ? include.map((e, i) => [e, ['include', i]]) : [[include, ['include']]];
      for (const [entry, path] of entries) {
        if (stopped) break;
        const range = (): SourceRange => yaml.rangeOf(path) ?? yaml.nearestRangeOf(path);
        for (const target of localTargets(entry, path, yaml, range)) {
          if (stopped) break;
          if (chain.includes(target)) {
            diagnostics.push(diagnostic('error', 'gitlab-include-loop', `Include loop: ${[...chain, target].join(' → ')}. The repeated include is skipped.`, range()));
            continue;
          }
          if (++count > maxIncludes) {
            diagnostics.push(diagnostic('error', 'gitlab-too-many-includes', `More than ${maxIncludes} files are included (GitLab's limit); the rest are not read.`, range()));
            stopped = true;
            break;
          }
          let targetText: string | undefined;
          try {
            targetText = options.source.read(target);
          } catch (error) {
            diagnostics.push(diagnostic('error', 'gitlab-include-unreadable', `Local file \`${target}\` cannot be read: ${error instanceof Error ? error.message : String(error)}`, range()));
            continue;
          }
          if (targetText === undefined) {
            diagnostics.push(diagnostic('error', 'gitlab-include-not-found', `Local file \`${target}\` does not exist.`, range()));
            continue;
          }
          layers.push(...expand(target, targetText, [...chain, target]));
        }
      }
    }
    const own: YamlMap = {};
    for (const key of Object.keys(content)) if (key !== 'include') set(own, key, content[key]);
    layers.push({ layer: own, from: me });
    return layers;
  };

  /** Files one include entry names, after rules and wildcards; other kinds are reported. */
  const localTargets = (entry: unknown, path: (string | number)[], yaml: LoadedYaml, range: () => SourceRange): string[] => {
    let local: string | undefined;
    if (typeof entry === 'string') {
      if (/^https?:\/\//i.test(entry)) {
        diagnostics.push(diagnostic('warning', 'gitlab-include-not-resolved', `include ${entry} is remote and is not read offline; jobs it defines are missing from this plan.`, range()));
        return [];
      }
      local = entry;
    } else if (isMap(entry)) {
      if (has(entry, 'rules')) {
        const problems: RuleProblem[] = [];
        const match = matchRules(get(entry, 'rules'), options.env, problems, [...path, 'rules']);
        for (const p of problems) diagnostics.push(diagnostic(p.severity, p.code, p.message, yaml.rangeOf(p.path) ?? range()));
        if (match.index === undefined || match.when === 'never') return [];
      }
      if (has(entry, 'local')) {
        local = scalarText(get(entry, 'local'));
        if (local === undefined) {
          diagnostics.push(diagnostic('error', 'gitlab-invalid-include', 'include:local must be a path.', range()));
          return [];
        }
      } else {
        const kind = ['remote', 'project', 'template', 'component'].find((k) => has(entry, k));
        if (kind) {
          const what = scalarText(get(entry, kind)) ?? '';
          const file = kind === 'project' ? ` (${[get(entry, 'file')].flat().map((f) => scalarText(f) ?? '').join(', ')})` : '';
          diagnostics.push(
            diagnostic('warning', 'gitlab-include-not-resolved', `include:${kind} ${what}${file} is not resolved offline; jobs it defines are missing from this plan.`, range()),
          );
        } else {
          diagnostics.push(diagnostic('error', 'gitlab-invalid-include', 'An include needs one of local, remote, project, template or component.', range()));
        }
        return [];
      }
    } else {
      diagnostics.push(diagnostic('error', 'gitlab-invalid-include', 'include must be a path, a mapping or a list of them.', range()));
      return [];
    }
    const expanded = expandServer(local, options.env.lookup);
    if (isIncludeWildcard(expanded)) {
      const matches = options.source.glob(expanded, 'include').filter((f) => /\.ya?ml$/.test(f));
      if (matches.length === 0) diagnostics.push(diagnostic('warning', 'gitlab-include-not-found', `No local file matches \`${expanded}\`.`, range()));
      return [...matches];
    }
    const normalized = normalizeRelativePath(expanded);
    if (normalized === undefined) {
      diagnostics.push(diagnostic('error', 'gitlab-invalid-include', `Local include \`${expanded}\` is outside the repository.`, range()));
      return [];
    }
    if (!/\.ya?ml$/.test(normalized)) {
      diagnostics.push(diagnostic('error', 'gitlab-invalid-include', `Included file \`${expanded}\` does not have a YAML extension (.yml or .yaml).`, range()));
      return [];
    }
    return [normalized];
  };

  let text = rootText;
  if (text === undefined) {
    try {
      text = options.source.read(rootFile);
    } catch (error) {
      diagnostics.push(diagnostic('error', 'gitlab-file-unreadable', `${rootFile} cannot be read: ${error instanceof Error ? error.message : String(error)}`, { file: rootFile, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }));
      return { config: undefined, files, definitions, diagnostics, includeCount: 0 };
    }
  }
  if (text === undefined) {
    diagnostics.push(diagnostic('error', 'gitlab-file-not-found', `${rootFile} does not exist.`, { file: rootFile, startLine: 1, startColumn: 1, endLine: 1, endColumn: 1 }));
    return { config: undefined, files, definitions, diagnostics, includeCount: 0 };
  }
  const layers = expand(rootFile, text, [rootFile]);
  const root = loaded.get(rootFile);
  if (!root?.content) return { config: undefined, files, definitions, diagnostics, includeCount: count };
  // One pass over the layers into a fresh object (deepMerge copies what it merges, so no input changes).
  const merged: YamlMap = {};
  for (const { layer, from } of layers) {
    for (const key of Object.keys(layer)) {
      const value = layer[key];
      set(merged, key, has(merged, key) && isMap(merged[key]) && isMap(value) ? deepMerge(merged[key], value) : value);
    }
    for (const key of Object.keys(layer)) {
      const list = definitions.get(key);
      if (!list) definitions.set(key, [from]);
      else if (list[list.length - 1] !== from) list.push(from);
    }
  }
  return { config: merged, files, definitions, diagnostics, includeCount: count };
}
