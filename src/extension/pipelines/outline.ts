import * as vscode from 'vscode';
import { parseAzurePipeline } from '../../core/pipeline/azure/azureParser';
import { pipelineFormatOf } from '../../core/pipeline/formats';
import { parseGithubWorkflow } from '../../core/pipeline/github/githubParser';
import { memoryFileSource } from '../../core/pipeline/gitlab/gitlabContext';
import { parseGitlabPipeline } from '../../core/pipeline/gitlab/gitlabParser';
import { parseJenkinsfile } from '../../core/pipeline/jenkins/jenkinsParser';
import type { Job, Pipeline, PipelineFormat, SourceRange } from '../../core/pipeline/model';
import { loadYaml } from '../../core/pipeline/yaml/yamlLoader';
import type { Container } from '../container';

/**
 * The outline (and breadcrumbs) of a pipeline file, from the text in the editor, not the disk:
 * stages, jobs and steps. While the YAML is half-written and cannot be read, the outline falls
 * back to the file's keys by indentation, so it never goes blank or throws while someone types.
 */
class PipelineOutlineProvider implements vscode.DocumentSymbolProvider {
  provideDocumentSymbols(document: vscode.TextDocument, token: vscode.CancellationToken): vscode.DocumentSymbol[] {
    const file = vscode.workspace.asRelativePath(document.uri, false).replace(/\\/g, '/');
    const format = formatOfDocument(file, document.fileName);
    if (!format) return [];
    const text = document.getText();
    try {
      const pipeline = parseForOutline(format, file, text);
      if (token.isCancellationRequested) return [];
      if (pipeline && pipeline.jobs.some((j) => j.source.file === file)) return symbolsOf(pipeline, file, document);
    } catch {
      // A parser must not throw (it is fuzzed), but an outline is no place to show it: fall back.
    }
    return format === 'jenkins' ? [] : indentationOutline(document);
  }
}

function formatOfDocument(relative: string, fileName: string): PipelineFormat | undefined {
  const direct = pipelineFormatOf(relative);
  if (direct) return direct;
  const base = fileName.replace(/\\/g, '/').split('/').pop() ?? '';
  if (base === 'Jenkinsfile') return 'jenkins';
  if (base === '.gitlab-ci.yml' || base === '.gitlab-ci.yaml') return 'gitlab';
  if (base === 'azure-pipelines.yml' || base === 'azure-pipelines.yaml') return 'azure';
  if (/\/\.github\/workflows\/[^/]+\.ya?ml$/.test(fileName.replace(/\\/g, '/'))) return 'github';
  return undefined;
}

/** The document's own pipeline, without reading other files; undefined when the YAML cannot be read. */
function parseForOutline(format: PipelineFormat, file: string, text: string): Pipeline | undefined {
  switch (format) {
    case 'jenkins':
      return parseJenkinsfile({ file, text });
    case 'github': {
      const loaded = loadYaml(text, file);
      return loaded.value === undefined ? undefined : parseGithubWorkflow({ file, text, loaded });
    }
    case 'azure': {
      const loaded = loadYaml(text, file);
      return loaded.value === undefined ? undefined : parseAzurePipeline({ file, text, loaded });
    }
    case 'gitlab': {
      const loaded = loadYaml(text, file, { gitlabTags: true, documents: 'gitlabHeader' });
      if (loaded.value === undefined) return undefined;
      // Only this text: includes are not read and rules are evaluated for a push to main, which an outline does not show.
      return parseGitlabPipeline({ file, text, source: memoryFileSource({ [file]: text }), context: { pipelineSource: 'push', branch: 'main' } });
    }
  }
}

function symbolsOf(pipeline: Pipeline, file: string, document: vscode.TextDocument): vscode.DocumentSymbol[] {
  const toRange = (r: SourceRange): vscode.Range => clampRange(document, r);
  const jobSymbol = (jobs: Job[]): vscode.DocumentSymbol => {
    const first = jobs[0]!;
    const range = toRange(first.source);
    const label = jobs.length > 1 || first.matrix ? first.definition : first.name;
    const detail = jobs.length > 1 || first.matrix ? `${jobs.length} ${jobs.length === 1 ? 'instance' : 'instances'}` : pipeline.format === 'github' ? '' : first.stage;
    const symbol = new vscode.DocumentSymbol(label || '(job)', detail, vscode.SymbolKind.Function, range, new vscode.Range(range.start, range.start));
    for (const step of first.steps) {
      if (!step.range || step.range.file !== file) continue;
      const r = toRange(step.range);
      symbol.children.push(new vscode.DocumentSymbol(step.name || '(step)', step.kind === 'uses' ? (step.uses ?? '') : '', vscode.SymbolKind.Event, r, new vscode.Range(r.start, r.start)));
    }
    cover(symbol);
    return symbol;
  };
  const groups = (jobs: readonly Job[]): Job[][] => {
    const byKey = new Map<string, Job[]>();
    for (const j of jobs) {
      if (j.source.file !== file) continue;
      const key = `${j.definition}|${j.source.startLine}`;
      const list = byKey.get(key);
      if (list) list.push(j);
      else byKey.set(key, [j]);
    }
    return [...byKey.values()];
  };
  if (pipeline.format === 'github' || pipeline.format === 'gitlab') return groups(pipeline.jobs).map(jobSymbol);
  const byId = new Map(pipeline.jobs.map((j) => [j.id, j]));
  const out: vscode.DocumentSymbol[] = [];
  for (const stage of pipeline.stages) {
    const jobs = groups(stage.jobs.map((id) => byId.get(id)).filter((j): j is Job => j !== undefined)).map(jobSymbol);
    if (jobs.length === 0) continue;
    const start = jobs.reduce((a, s) => (s.range.start.isBefore(a) ? s.range.start : a), jobs[0]!.range.start);
    const end = jobs.reduce((a, s) => (s.range.end.isAfter(a) ? s.range.end : a), jobs[0]!.range.end);
    const symbol = new vscode.DocumentSymbol(stage.name, `${jobs.length} ${jobs.length === 1 ? 'job' : 'jobs'}`, vscode.SymbolKind.Namespace, new vscode.Range(start, end), new vscode.Range(start, start));
    symbol.children.push(...jobs);
    out.push(symbol);
  }
  return out;
}

/** Grows a symbol's range to hold its children (VS Code expects children inside their parent). */
function cover(symbol: vscode.DocumentSymbol): void {
  for (const c of symbol.children) symbol.range = symbol.range.union(c.range);
}

function clampRange(document: vscode.TextDocument, r: SourceRange): vscode.Range {
  const last = Math.max(0, document.lineCount - 1);
  const line = (l: number): number => Math.min(Math.max(0, l - 1), last);
  const start = new vscode.Position(line(r.startLine), Math.max(0, r.startColumn - 1));
  const endLine = line(Math.max(r.startLine, r.endLine));
  let end = new vscode.Position(endLine, Math.max(0, r.endColumn - 1));
  if (end.isBefore(start)) end = start;
  return document.validateRange(new vscode.Range(start, end));
}

/**
 * Keys of the first two levels by indentation (and `- stage: x` style list items), for YAML that
 * does not parse yet. Tolerates anything: it only looks at lines.
 */
export function indentationOutline(document: vscode.TextDocument): vscode.DocumentSymbol[] {
  const top: vscode.DocumentSymbol[] = [];
  let parent: vscode.DocumentSymbol | undefined;
  let childIndent: number | undefined;
  const lines = Math.min(document.lineCount, 100_000);
  const close = (symbol: vscode.DocumentSymbol | undefined, line: number): void => {
    if (!symbol || line < symbol.range.start.line) return;
    const end = document.lineAt(line).range.end;
    symbol.range = new vscode.Range(symbol.range.start, end);
  };
  let lastContent = 0;
  for (let i = 0; i < lines; i++) {
    const text = document.lineAt(i).text;
    if (text.trim() === '' || text.trimStart().startsWith('#')) continue;
    const indent = text.length - text.trimStart().length;
    if (indent === 0) {
      close(parent?.children[parent.children.length - 1], lastContent);
      close(parent, lastContent);
      const key = /^([^\s#:'"-][^:]*?|"[^"]*"|'[^']*'):(\s|$)/.exec(text);
      parent = undefined;
      childIndent = undefined;
      if (key) {
        const r = new vscode.Range(i, 0, i, text.length);
        parent = new vscode.DocumentSymbol(key[1]!.replace(/^['"]|['"]$/g, ''), '', vscode.SymbolKind.Key, r, r);
        top.push(parent);
      }
    } else if (parent && (childIndent === undefined || indent === childIndent)) {
      const item = /^\s*(-\s+)?([^\s#:'"-][^:]*?|"[^"]*"|'[^']*'):(?:\s+(.*))?$/.exec(text);
      if (item) {
        childIndent = indent;
        close(parent.children[parent.children.length - 1], lastContent);
        const isItem = item[1] !== undefined;
        const value = item[3]?.trim();
        const name = isItem && value && /^(stage|job|deployment|template|name|script|bash|task|uses|run)$/.test(item[2]!) ? value : item[2]!;
        const r = new vscode.Range(i, indent, i, text.length);
        parent.children.push(new vscode.DocumentSymbol(name.replace(/^['"]|['"]$/g, ''), isItem ? item[2]! : '', isItem ? vscode.SymbolKind.Object : vscode.SymbolKind.Field, r, r));
      }
    }
    lastContent = i;
  }
  close(parent?.children[parent.children.length - 1], lastContent);
  close(parent, lastContent);
  return top;
}

export function registerPipelineOutline(container: Container): void {
  const selector: vscode.DocumentSelector = [
    { pattern: '**/.gitlab-ci.{yml,yaml}' },
    { pattern: '**/.github/workflows/*.{yml,yaml}' },
    { pattern: '**/azure-pipelines.{yml,yaml}' },
    { pattern: '**/Jenkinsfile' },
  ];
  container.track(vscode.languages.registerDocumentSymbolProvider(selector, new PipelineOutlineProvider(), { label: 'Opsloop pipeline' }));
}
