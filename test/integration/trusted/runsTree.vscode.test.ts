import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { CommandId } from '../../../src/extension/commandIds';
import type { PipelineNode } from '../../../src/extension/pipelines/pipelineNodes';
import type { RunService } from '../../../src/extension/runs/runService';
import type { PipelinesTree } from '../../../src/extension/views/pipelinesView';
import { activateOpsloop, waitFor } from '../support';

/** Finds the tree item of a job by walking the tree as the view does. */
async function jobItem(tree: PipelinesTree, file: string, name: string): Promise<vscode.TreeItem | undefined> {
  const walk = async (node: PipelineNode | undefined, depth: number): Promise<vscode.TreeItem | undefined> => {
    for (const child of await tree.getChildren(node)) {
      const item = tree.getTreeItem(child);
      const label = typeof item.label === 'string' ? item.label : item.label?.label;
      if (child.kind === 'job' && child.file === file && label === name) return item;
      if (depth < 3 && (child.kind === 'file' ? child.file === file : true)) {
        const found = await walk(child, depth + 1);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(undefined, 0);
}

describe('Pipelines tree with live run state', function () {
  this.timeout(120_000);

  it('shows each job\'s latest run state in the tree: its icon and "passed" with the duration', async () => {
    const api = await activateOpsloop();
    const tree = api.container.service<PipelinesTree>('pipelinesTree', () => {
      throw new Error('no Pipelines tree');
    });
    const file = '.github/workflows/ci.yml';
    const runId = await vscode.commands.executeCommand<string>(CommandId.runJob, `${file}#build`);
    assert.ok(runId, 'Run Job started nothing');
    const runs = api.container.service<RunService>('runs', () => {
      throw new Error('no RunService');
    });
    await waitFor('the run to finish', () => (runs.run(runId)?.status === 'passed' ? true : undefined), 90_000);
    const item = await waitFor('the build job to show its run', async () => {
      const found = await jobItem(tree, file, 'build');
      return found && String(found.description ?? '').startsWith('passed') ? found : undefined;
    });
    assert.match(String(item.description), /^passed \d/);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    // Every job shows exactly its own latest state, or none when it never ran.
    for (const name of ['deploy', 'lint']) {
      const jobFile = name === 'lint' ? '.gitlab-ci.yml' : file;
      const other = await jobItem(tree, jobFile, name);
      assert.ok(other, `${name} is not in the tree`);
      const state = runs.jobState(`${jobFile}#${name}`)?.job;
      const description = String(other.description ?? '');
      if (state) assert.ok(description.startsWith(state.waiting ? 'waiting for you' : state.status), `${name}: '${description}' for ${state.status}`);
      else assert.doesNotMatch(description, /^(passed|failed|running|queued|skipped|canceled|manual)\b/, `${name} never ran but shows '${description}'`);
    }
  });
});
