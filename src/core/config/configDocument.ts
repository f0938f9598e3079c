/**
 * A loaded `.opsloop.yml` (or `.opsloop.json`) with positions: the value, the parse
 * diagnostics and where each path of the value sits in the text, so validation can name a line.
 * The reading itself is the shared YAML loader's (limits on size, depth and alias expansion,
 * duplicate keys as diagnostics); this adapter gives validation the small view it needs.
 */
import { loadYaml } from '../pipeline/yaml/yamlLoader';
import type { SourceRange } from '../pipeline/model';

export type Path = readonly (string | number)[];

/** 1-based, end exclusive. */
export interface TextRange {
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
}

export interface ParseDiagnostic {
  readonly severity: 'error' | 'warning' | 'info';
  readonly message: string;
  readonly range: TextRange;
}

export interface LoadedDocument {
  readonly value: unknown;
  readonly diagnostics: readonly ParseDiagnostic[];
  /**
   * Where `path` is: its value, or with `'key'` the key that names it. A path that does not
   * exist (a missing key) gives the nearest existing parent.
   */
  rangeOf(path: Path, part?: 'key' | 'value'): TextRange | undefined;
}

/** Largest configuration file read (reliability item 9: limits before work grows). */
export const maxConfigBytes = 1_000_000;

export function loadDocument(text: string, file: string): LoadedDocument {
  const loaded = loadYaml(text, file, { limits: { maxBytes: maxConfigBytes, maxNodes: 200_000 }, duplicateKeys: 'error' });
  const lineEnds = lineLengths(text);
  /** A block (a mapping over many lines) is marked on its first line: enough to find it, not a wall of squiggles. */
  const toRange = (r: SourceRange): TextRange => {
    if (r.endLine > r.startLine) return { line: r.startLine, column: r.startColumn, endLine: r.startLine, endColumn: Math.max(r.startColumn + 1, (lineEnds[r.startLine - 1] ?? 0) + 1) };
    return { line: r.startLine, column: r.startColumn, endLine: r.endLine, endColumn: Math.max(r.endColumn, r.startColumn + 1) };
  };
  return {
    value: loaded.value,
    diagnostics: loaded.diagnostics.map((d) => ({
      severity: d.severity,
      message: d.message,
      range: { line: d.line, column: d.column, endLine: d.endLine ?? d.line, endColumn: Math.max(d.endColumn ?? d.column + 1, d.column + 1) },
    })),
    rangeOf(path: Path, part: 'key' | 'value' = 'value'): TextRange | undefined {
      const exact = (part === 'key' ? loaded.keyRangeOf(path) : undefined) ?? loaded.rangeOf(path);
      return toRange(exact ?? loaded.nearestRangeOf(path));
    },
  };
}

function lineLengths(text: string): number[] {
  return text.split('\n').map((l) => (l.endsWith('\r') ? l.length - 1 : l.length));
}
