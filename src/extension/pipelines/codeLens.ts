import * as vscode from 'vscode';
import type { Job, Pipeline, PipelineFormat } from '../../core/pipeline/model';
import { isMap } from '../../core/pipeline/parserSupport';
import { loadYaml } from '../../core/pipeline/yaml/yamlLoader';
import { CommandId } from '../commandIds';
import type { Container } from '../container';
import type { PlanService } from './planService';

/** Instances of one matrix job that get a lens each; the rest are one "more" lens. */
const maxInstanceLenses = 8;

/**
 * `▶ Run job` above each job (opsloop.runJob with the job id) and `▶ Run stage` above each
 * stage a file declares (opsloop.runStage with file and stage), from the current plan. Shown
 * in trusted workspaces only: in Restricted Mode nothing runs, so nothing offers to.
 */
class PipelineCodeLensProvider implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(private readonly plans: PlanService) {}

  refresh(): void {
    this.changed.fire();
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!vscode.workspace.isTrusted) return [];
    if (!vscode.workspace.getConfiguration('opsloop.pipelines').get<boolean>('codeLens', true)) return [];
    const plan = this.plans.current();
    if (!plan) {
      void this.plans.get();
      return [];
    }
    const file = this.plans.relative(document.uri);
    if (file === undefined) return [];
    const lenses: vscode.CodeLens[] = [];
    const lineRange = (line: number): vscode.Range => {
      const l = Math.min(Math.max(0, line - 1), Math.max(0, document.lineCount - 1));
      return new vscode.Range(l, 0, l, 0);
    };
    for (const pipeline of plan.pipelines) {
      const groups = new Map<string, Job[]>();
      for (const job of pipeline.jobs) {
        if (job.source.file !== file) continue;
        const key = `${job.definition}|${job.source.startLine}`;
        const list = groups.get(key);
        if (list) list.push(job);
        else groups.set(key, [job]);
      }
      for (const jobs of groups.values()) {
        const range = lineRange(jobs[0]!.source.startLine);
        if (jobs.length === 1 && !jobs[0]!.matrix) {
          lenses.push(new vscode.CodeLens(range, { title: '▶ Run job', tooltip: `Run ${jobs[0]!.name} on this machine`, command: CommandId.runJob, arguments: [jobs[0]!.id] }));
          continue;
        }
        for (const job of jobs.slice(0, maxInstanceLenses)) {
          const label = job.matrix ? Object.values(job.matrix).join(', ') : job.name;
          lenses.push(new vscode.CodeLens(range, { title: `▶ Run ${label}`, tooltip: `Run ${job.name} on this machine`, command: CommandId.runJob, arguments: [job.id] }));
        }
        if (jobs.length > maxInstanceLenses) {
          lenses.push(new vscode.CodeLens(range, { title: `… ${jobs.length - maxInstanceLenses} more in the Pipelines view`, command: 'opsloop.pipelines.focus' }));
        }
      }
      if (pipeline.file === file) {
        for (const [stage, line] of stageLines(pipeline, document.getText())) {
          lenses.push(new vscode.CodeLens(lineRange(line), { title: '▶ Run stage', tooltip: `Run every job of stage ${stage}`, command: CommandId.runStage, arguments: [pipeline.file, stage] }));
        }
      }
    }
    return lenses;
  }
}

/** The line where each stage of a pipeline is declared in its own file (GitHub has no stages to declare). */
export function stageLines(pipeline: Pipeline, text: string): [string, number][] {
  const wanted = new Set(pipeline.stages.filter((s) => s.jobs.length > 0).map((s) => s.name));
  const out: [string, number][] = [];
  const format: PipelineFormat = pipeline.format;
  if (format === 'jenkins') {
    const lines = text.split('\n');
    const seen = new Set<string>();
    lines.forEach((l, i) => {
      const m = /\bstage\s*\(\s*(['"])(.*?)\1/.exec(l);
      if (m && wanted.has(m[2]!) && !seen.has(m[2]!)) {
        seen.add(m[2]!);
        out.push([m[2]!, i + 1]);
      }
    });
    return out;
  }
  if (format !== 'gitlab' && format !== 'azure') return out;
  const loaded = loadYaml(text, pipeline.file, { gitlabTags: format === 'gitlab' });
  if (!isMap(loaded.value) || !Array.isArray(loaded.value.stages)) return out;
  loaded.value.stages.forEach((entry: unknown, i: number) => {
    const name = format === 'gitlab' ? (typeof entry === 'string' ? entry : undefined) : isMap(entry) && typeof entry.stage === 'string' ? entry.stage : undefined;
    const range = loaded.rangeOf(['stages', i]);
    if (name !== undefined && wanted.has(name) && range) out.push([name, range.startLine]);
  });
  return out;
}

export function registerPipelineCodeLens(container: Container, plans: PlanService): void {
  const provider = new PipelineCodeLensProvider(plans);
  const selector: vscode.DocumentSelector = [
    { scheme: 'file', pattern: '**/*.{yml,yaml}' },
    { scheme: 'file', pattern: '**/Jenkinsfile' },
  ];
  container.track(vscode.languages.registerCodeLensProvider(selector, provider));
  container.track(plans.onDidChange(() => provider.refresh()));
  container.track(vscode.workspace.onDidGrantWorkspaceTrust(() => provider.refresh()));
  container.track(
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('opsloop.pipelines.codeLens')) provider.refresh();
    }),
  );
}
