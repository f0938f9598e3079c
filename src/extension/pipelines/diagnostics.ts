import * as vscode from 'vscode';
import type { Diagnostic, Plan } from '../../core/pipeline/model';
import type { Container } from '../container';
import type { PlanService } from './planService';

const severities: Readonly<Record<Diagnostic['severity'], vscode.DiagnosticSeverity>> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

/** A plan diagnostic (1-based) as VS Code's (0-based), with its rule as the code. */
export function toVscodeDiagnostic(d: Diagnostic): vscode.Diagnostic {
  const start = new vscode.Position(Math.max(0, d.line - 1), Math.max(0, d.column - 1));
  const endLine = d.endLine !== undefined ? Math.max(start.line, d.endLine - 1) : start.line;
  const endColumn = d.endColumn !== undefined ? Math.max(0, d.endColumn - 1) : start.character;
  const end = endLine === start.line && endColumn < start.character ? start : new vscode.Position(endLine, endColumn);
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start, end), d.message, severities[d.severity]);
  diagnostic.source = 'opsloop';
  diagnostic.code = d.code;
  return diagnostic;
}

/** Shows the plan's diagnostics in the Problems panel, replaced with each new plan (after a save, debounced, or a file change). */
export function registerPipelineDiagnostics(container: Container, plans: PlanService): void {
  const collection = container.track(vscode.languages.createDiagnosticCollection('opsloop'));
  const publish = (plan: Plan): void => {
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const d of plan.diagnostics) {
      const list = byFile.get(d.file) ?? [];
      list.push(toVscodeDiagnostic(d));
      byFile.set(d.file, list);
    }
    collection.clear();
    for (const [file, list] of byFile) {
      const uri = plans.uriOf(file);
      if (uri) collection.set(uri, list);
    }
  };
  container.track(plans.onDidChange(publish));
  const current = plans.current();
  if (current) publish(current);
}
