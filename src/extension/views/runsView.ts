import * as vscode from 'vscode';
import type { Container } from '../container';

/** The Runs view: local and remote runs with their jobs. Empty until a run starts (welcome content says how). */
class RunsTree implements vscode.TreeDataProvider<never> {
  getChildren(): never[] {
    return [];
  }
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }
}

export function registerRunsView(container: Container): void {
  container.track(vscode.window.createTreeView('opsloop.runs', { treeDataProvider: new RunsTree() }));
}
