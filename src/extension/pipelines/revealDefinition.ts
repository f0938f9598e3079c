import * as vscode from 'vscode';
import type { Plan, SourceRange } from '../../core/pipeline/model';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import type { PlanService } from './planService';

/** The tree's click command: open the file of a range at its first line. */
export function revealCommand(range: SourceRange): vscode.Command {
  return { command: CommandId.revealDefinition, title: 'Reveal Definition', arguments: [{ file: range.file, startLine: range.startLine, startColumn: range.startColumn }] };
}

interface Place {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

/**
 * Where an argument of opsloop.revealDefinition points: a source range, a tree node, or a job id
 * (`file#name`) looked up in the plan.
 */
export function placeOf(arg: unknown, plan: Plan | undefined): Place | undefined {
  if (typeof arg === 'string') {
    for (const p of plan?.pipelines ?? []) {
      const job = p.jobs.find((j) => j.id === arg);
      if (job) return { file: job.source.file, line: job.source.startLine, column: job.source.startColumn };
    }
    return undefined;
  }
  if (typeof arg !== 'object' || arg === null) return undefined;
  const a = arg as Record<string, unknown>;
  if (typeof a.file === 'string' && typeof a.startLine === 'number') return { file: a.file, line: a.startLine, column: typeof a.startColumn === 'number' ? a.startColumn : 1 };
  const fromRange = (r: SourceRange | undefined): Place | undefined => (r ? { file: r.file, line: r.startLine, column: r.startColumn } : undefined);
  switch (a.kind) {
    case 'file':
      return typeof a.file === 'string' ? { file: a.file, line: 1, column: 1 } : undefined;
    case 'stage': {
      const node = arg as { pipeline: Plan['pipelines'][number]; stage: { jobs: readonly string[] } };
      return fromRange(node.pipeline.jobs.find((j) => j.id === node.stage.jobs[0])?.source);
    }
    case 'job':
      return fromRange((arg as { jobs: readonly { source: SourceRange }[] }).jobs[0]?.source);
    case 'instance':
      return fromRange((arg as { job: { source: SourceRange } }).job.source);
    case 'step': {
      const node = arg as { job: { source: SourceRange }; step: { range?: SourceRange } };
      return fromRange(node.step.range ?? node.job.source);
    }
    case 'problem': {
      const d = (arg as { diagnostic: { file: string; line: number; column: number } }).diagnostic;
      return { file: d.file, line: d.line, column: d.column };
    }
    default:
      return undefined;
  }
}

export function registerRevealDefinition(container: Container, plans: PlanService | undefined): void {
  registerCommand(container, CommandId.revealDefinition, async (arg: unknown) => {
    if (!plans) return;
    const place = placeOf(arg, plans.current() ?? (await plans.get()));
    const uri = place ? plans.uriOf(place.file) : undefined;
    if (!place || !uri) {
      void vscode.window.showInformationMessage('Opsloop: nothing to reveal for this item.');
      return;
    }
    const position = new vscode.Position(Math.max(0, place.line - 1), Math.max(0, place.column - 1));
    const editor = await vscode.window.showTextDocument(uri, { selection: new vscode.Range(position, position), preview: true });
    editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  });
}
