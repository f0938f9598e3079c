import * as vscode from 'vscode';
import { formatLabels, pipelineFileGlobs } from '../../core/pipeline/formats';
import { discoverPipelineFiles } from '../../node/pipeline/discovery';
import type { PipelineFormat } from '../../core/pipeline/model';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';

interface PipelineFileNode {
  readonly uri: vscode.Uri;
  readonly path: string;
  readonly format: PipelineFormat;
}

/** Finds the workspace's pipeline files and keeps the list current as files come and go. */
class PipelineFiles implements vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly disposables: vscode.Disposable[] = [this.changed];
  private files: PipelineFileNode[] | undefined;

  constructor(private readonly folder: vscode.WorkspaceFolder) {
    for (const glob of pipelineFileGlobs) {
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, glob));
      const invalidate = (): void => {
        this.files = undefined;
        this.changed.fire();
      };
      this.disposables.push(watcher, watcher.onDidCreate(invalidate), watcher.onDidDelete(invalidate));
    }
  }

  async list(): Promise<PipelineFileNode[]> {
    // Read the folder directly rather than through findFiles: pipeline files are often
    // git-ignored or excluded from search, and CI still reads them.
    this.files ??= (await discoverPipelineFiles(this.folder.uri.fsPath)).map((f) => ({ ...f, uri: vscode.Uri.joinPath(this.folder.uri, f.path) }));
    return this.files;
  }

  refresh(): void {
    this.files = undefined;
    this.changed.fire();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

class PipelinesTree implements vscode.TreeDataProvider<PipelineFileNode> {
  constructor(private readonly files: PipelineFiles | undefined) {}

  get onDidChangeTreeData(): vscode.Event<void> | undefined {
    return this.files?.onDidChange;
  }

  async getChildren(element?: PipelineFileNode): Promise<PipelineFileNode[]> {
    if (element || !this.files) return [];
    return this.files.list();
  }

  getTreeItem(node: PipelineFileNode): vscode.TreeItem {
    const item = new vscode.TreeItem(node.path, vscode.TreeItemCollapsibleState.None);
    item.description = formatLabels[node.format];
    item.resourceUri = node.uri;
    item.iconPath = new vscode.ThemeIcon('file-code');
    item.contextValue = 'pipelineFile';
    item.command = { command: CommandId.openPipelineFile, title: 'Open', arguments: [node.uri] };
    return item;
  }
}

export function registerPipelineViews(container: Container): void {
  const folder = container.workspaceFolder;
  const files = folder ? container.track(new PipelineFiles(folder)) : undefined;
  const tree = new PipelinesTree(files);
  container.track(vscode.window.createTreeView('opsloop.pipelines', { treeDataProvider: tree, showCollapseAll: true }));
  registerCommand(container, CommandId.refresh, () => files?.refresh());
  registerCommand(container, CommandId.openPipelineFile, async (uri: unknown) => {
    if (uri instanceof vscode.Uri) await vscode.window.showTextDocument(uri);
  });
  if (files) {
    const updateStatus = async (): Promise<void> => {
      const list = await files.list();
      if (container.statusBar.state.kind === 'none' || container.statusBar.state.kind === 'idle') {
        if (vscode.workspace.isTrusted) container.statusBar.set(list.length > 0 ? { kind: 'idle', pipelines: list.length, jobs: 0 } : { kind: 'none' });
      }
    };
    container.track(files.onDidChange(() => void updateStatus()));
    void updateStatus();
  }
}
