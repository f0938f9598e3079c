import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { Plan } from '../../../src/core/pipeline/model';
import { loadWorkspacePlan } from '../../../src/node/pipeline/loadPlan';
import { CommandId } from '../../../src/extension/commandIds';
import type { PipelineNode } from '../../../src/extension/pipelines/pipelineNodes';
import { getPlanService } from '../../../src/extension/pipelines/planService';
import type { PipelinesTree } from '../../../src/extension/views/pipelinesView';
import { activateOpsloop, waitFor, workspaceRoot } from '../support';

/** The tree the extension registered (services are shared through the container, across bundles). */
async function tree(): Promise<PipelinesTree> {
  const api = await activateOpsloop();
  return api.container.service<PipelinesTree>('pipelinesTree', () => {
    throw new Error('the Pipelines tree was not created at activation');
  });
}

async function label(t: PipelinesTree, node: PipelineNode): Promise<string> {
  const l = (await t.getTreeItem(node)).label;
  return typeof l === 'string' ? l : (l?.label ?? '');
}

function uri(file: string): vscode.Uri {
  return vscode.Uri.file(join(workspaceRoot(), ...file.split('/')));
}

function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((l) => l.includes(needle));
  assert.ok(index >= 0, `no line with ${needle}`);
  return index + 1;
}

describe('Pipelines in VS Code', () => {
  let expected: Plan;
  before(async () => {
    await activateOpsloop();
    // What the plan must be, computed here from the same files, independently of the extension's service.
    expected = await loadWorkspacePlan(workspaceRoot());
    assert.ok(expected.files.includes('.gitlab-ci.yml') && expected.files.includes('.github/workflows/ci.yml'), `demo files: ${expected.files.join(', ')}`);
  });

  it('shows each pipeline file, its stages, jobs (matrix instances under their job) and steps', async () => {
    const t = await tree();
    const files = await waitFor('the pipeline files in the tree', async () => {
      const nodes = await t.getChildren();
      return nodes.length >= expected.files.length ? nodes : undefined;
    });
    assert.deepEqual(await Promise.all(files.map((n) => label(t, n))), expected.files);
    for (const fileNode of files) {
      assert.equal(fileNode.kind, 'file');
      if (fileNode.kind !== 'file') continue;
      const pipeline = expected.pipelines.find((p) => p.file === fileNode.file)!;
      const stages = await t.getChildren(fileNode);
      assert.deepEqual(await Promise.all(stages.map((s) => label(t, s))), pipeline.stages.filter((s) => s.jobs.length > 0).map((s) => s.name), fileNode.file);
      const jobLeaves: string[] = [];
      for (const stage of stages) {
        for (const job of await t.getChildren(stage)) {
          assert.equal(job.kind, 'job');
          const item = await t.getTreeItem(job);
          assert.ok(item.contextValue === 'pipelineJob' || item.contextValue === 'pipelineJobMatrix', item.contextValue);
          assert.equal(item.command?.command, CommandId.revealDefinition);
          if (item.contextValue === 'pipelineJobMatrix') {
            for (const instance of await t.getChildren(job)) {
              assert.equal(instance.kind, 'instance');
              jobLeaves.push(await label(t, instance));
              const steps = await t.getChildren(instance);
              assert.ok(steps.length > 0 && steps.every((s) => s.kind === 'step'));
            }
          } else {
            jobLeaves.push(await label(t, job));
            assert.ok((await t.getChildren(job)).every((s) => s.kind === 'step'));
          }
        }
      }
      assert.deepEqual(jobLeaves.sort(), pipeline.jobs.map((j) => j.name).sort(), fileNode.file);
    }
    const ci = files.find((f) => f.kind === 'file' && f.file === '.github/workflows/ci.yml')!;
    const matrix = (await Promise.all((await t.getChildren(ci)).map((s) => t.getChildren(s)))).flat().find((j) => j.kind === 'job' && j.jobs.length > 1);
    assert.ok(matrix, 'the demo workflow has a matrix job shown with its instances');
  });

  it('shares the plan through getPlanService and keeps the status bar fed with the counts', async () => {
    const api = await activateOpsloop();
    const plans = getPlanService(api.container);
    const plan = await plans.get();
    assert.deepEqual(plan.files, expected.files);
    const jobs = expected.pipelines.reduce((n, p) => n + p.jobs.length, 0);
    const state = await waitFor('the idle status', () => (api.container.statusBar.state.kind === 'idle' ? api.container.statusBar.state : undefined));
    assert.deepEqual(state, { kind: 'idle', pipelines: expected.files.length, jobs });
  });

  it('puts the diagnostics of a broken file in the Problems panel on the right line, and an error node in the tree', async () => {
    const file = '.github/workflows/broken.yml';
    const text = 'name: Broken\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    needs: [nowhere]\n    steps:\n      - run: echo one\n    - run: wrong indentation\n';
    writeFileSync(join(workspaceRoot(), file), text);
    try {
      const diagnostics = await waitFor('diagnostics of the new broken file', () => {
        const list = vscode.languages.getDiagnostics(uri(file)).filter((d) => d.source === 'opsloop');
        return list.length > 0 ? list : undefined;
      });
      const syntax = diagnostics.find((d) => d.code === 'yaml-syntax');
      assert.ok(syntax, diagnostics.map((d) => `${d.range.start.line}: ${d.message}`).join('\n'));
      assert.equal(syntax.severity, vscode.DiagnosticSeverity.Error);
      assert.equal(syntax.range.start.line + 1, lineOf(text, 'wrong indentation'));

      const t = await tree();
      const node = await waitFor('the broken file in the tree', async () => (await t.getChildren()).find((n) => n.kind === 'file' && n.file === file));
      const [problem] = await t.getChildren(node);
      assert.equal(problem?.kind, 'problem');
      const item = await t.getTreeItem(problem!);
      assert.equal(item.command?.command, CommandId.revealDefinition, 'an error node opens the line');
      await vscode.commands.executeCommand(item.command!.command, ...(item.command!.arguments ?? []));
      const editor = await waitFor('the broken file open', () => (vscode.window.activeTextEditor?.document.uri.fsPath === uri(file).fsPath ? vscode.window.activeTextEditor : undefined));
      assert.equal(editor.selection.active.line + 1, lineOf(text, 'wrong indentation'));
    } finally {
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
      unlinkSync(join(workspaceRoot(), file));
    }
    await waitFor('the deleted file to leave the Problems panel', () => (vscode.languages.getDiagnostics(uri(file)).length === 0 ? true : undefined));
  });

  it('refreshes diagnostics when a pipeline file is saved', async () => {
    const file = '.github/workflows/ci.yml';
    const document = await vscode.workspace.openTextDocument(uri(file));
    const original = document.getText();
    const line = lineOf(original, 'needs: [build, test]');
    const edit = new vscode.WorkspaceEdit();
    const at = document.lineAt(line - 1);
    edit.replace(document.uri, at.range, at.text.replace('needs: [build, test]', 'needs: [build, tset]'));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await document.save();
    try {
      const unknownNeed = await waitFor('the unknown need after saving', () => vscode.languages.getDiagnostics(document.uri).find((d) => d.code === 'unknown-need'));
      const deployLine = lineOf(original, '  deploy:');
      assert.equal(unknownNeed.range.start.line + 1, deployLine);
      assert.match(unknownNeed.message, /tset/);
    } finally {
      const undo = new vscode.WorkspaceEdit();
      undo.replace(document.uri, new vscode.Range(0, 0, document.lineCount, 0), original);
      await vscode.workspace.applyEdit(undo);
      await document.save();
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
    await waitFor('the diagnostic to clear after the fix is saved', () => (vscode.languages.getDiagnostics(document.uri).some((d) => d.code === 'unknown-need') ? undefined : true));
  });

  it('shows ▶ Run job above each job and ▶ Run stage above each GitLab stage, with the ids the runner takes', async () => {
    const plan = await getPlanService((await activateOpsloop()).container).get();
    const ci = plan.pipelines.find((p) => p.file === '.github/workflows/ci.yml')!;
    // CodeLens are computed for documents VS Code has loaded.
    await vscode.workspace.openTextDocument(uri(ci.file));
    const lenses = await waitFor('CodeLens on ci.yml', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri(ci.file));
      return l && l.some((x) => x.command?.command === CommandId.runJob) ? l : undefined;
    });
    const runJob = lenses.filter((l) => l.command?.command === CommandId.runJob);
    assert.deepEqual(runJob.map((l) => l.command!.arguments![0]).sort(), ci.jobs.map((j) => j.id).sort());
    for (const job of ci.jobs) assert.ok(runJob.some((l) => l.command!.arguments![0] === job.id && l.range.start.line + 1 === job.source.startLine), job.id);

    const gitlab = plan.pipelines.find((p) => p.file === '.gitlab-ci.yml')!;
    await vscode.workspace.openTextDocument(uri(gitlab.file));
    const gitlabLenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri(gitlab.file));
    const stageLenses = gitlabLenses.filter((l) => l.command?.command === CommandId.runStage);
    assert.deepEqual(stageLenses.map((l) => l.command!.arguments), gitlab.stages.filter((s) => s.jobs.length > 0).map((s) => [gitlab.file, s.name]));
    assert.equal(gitlabLenses.filter((l) => l.command?.command === CommandId.runJob).length, gitlab.jobs.length);
  });

  it('gives an outline of jobs and steps, and keeps one while the YAML is half-written', async () => {
    const document = await vscode.workspace.openTextDocument(uri('.github/workflows/ci.yml'));
    const editor = await vscode.window.showTextDocument(document);
    const symbols = await waitFor('outline symbols', async () => {
      const s = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri);
      return s && s.some((x) => x.name === 'build') ? s : undefined;
    });
    const ci = expected.pipelines.find((p) => p.file === '.github/workflows/ci.yml')!;
    const definitions = [...new Set(ci.jobs.map((j) => (j.matrix ? j.definition : j.name)))];
    for (const name of definitions) assert.ok(symbols.some((s) => s.name === name), `outline lacks ${name}: ${symbols.map((s) => s.name).join(', ')}`);
    const build = symbols.find((s) => s.name === 'build')!;
    assert.equal(build.range.start.line + 1, ci.jobs.find((j) => j.name === 'build')!.source.startLine);
    assert.ok(build.children.length >= 1, 'steps under the job');

    try {
      // Type a half-written line: the YAML cannot be read, the outline still answers.
      await editor.edit((b) => b.insert(new vscode.Position(document.lineCount, 0), '  half:\n    steps: [\n'));
      const broken = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', document.uri);
      assert.ok(broken && broken.some((s) => s.name === 'jobs'), `fallback outline: ${broken?.map((s) => s.name).join(', ')}`);
      const jobs = broken.find((s) => s.name === 'jobs')!;
      assert.ok(jobs.children.some((c) => c.name === 'build') && jobs.children.some((c) => c.name === 'half'));
    } finally {
      await vscode.commands.executeCommand('workbench.action.files.revert');
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    }
  });

  it('reveals a job\'s definition from its id', async () => {
    const job = expected.pipelines.find((p) => p.file === '.gitlab-ci.yml')!.jobs[0]!;
    await vscode.commands.executeCommand(CommandId.revealDefinition, job.id);
    const editor = await waitFor('the job\'s file open', () => (vscode.window.activeTextEditor?.document.uri.fsPath === uri(job.source.file).fsPath ? vscode.window.activeTextEditor : undefined));
    assert.equal(editor.selection.active.line + 1, job.source.startLine);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  it('plans the GitLab pipeline again when the branch changes (rules depend on it)', async () => {
    const api = await activateOpsloop();
    const plans = getPlanService(api.container);
    const whenOfDeploy = (plan: Plan): string | undefined => plan.pipelines.find((p) => p.format === 'gitlab')?.jobs.find((j) => j.name === 'deploy-production')?.when;
    assert.equal(whenOfDeploy(await plans.get()), 'on_success', 'on main, the demo deploys');
    const git = (...args: string[]): void => {
      execFileSync('git', ['-c', 'core.hooksPath=/dev/null', ...args], { cwd: workspaceRoot(), stdio: 'ignore' });
    };
    git('checkout', '-q', '-b', 'feature/cart-cache');
    try {
      await waitFor('the plan of the feature branch', () => (whenOfDeploy(plans.current()!) === 'never' ? true : undefined), 20_000);
    } finally {
      git('checkout', '-q', 'main');
    }
    await waitFor('the plan of main again', () => (whenOfDeploy(plans.current()!) === 'on_success' ? true : undefined), 20_000);
  });
});
