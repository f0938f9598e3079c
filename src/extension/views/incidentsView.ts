import * as vscode from 'vscode';
import type { Container } from '../container';

/** The Incidents view: anomalies grouped into incidents. Empty until telemetry is analysed. */
class IncidentsTree implements vscode.TreeDataProvider<never> {
  getChildren(): never[] {
    return [];
  }
  getTreeItem(element: never): vscode.TreeItem {
    return element;
  }
}

export function registerIncidentsView(container: Container): void {
  container.track(vscode.window.createTreeView('opsloop.incidents', { treeDataProvider: new IncidentsTree() }));
}
