import * as vscode from 'vscode';
import { OpsloopError } from '../../core/errors';
import { chooseExportColumns, timesInSeconds } from '../../core/telemetry/exportColumns';
import type { Series } from '../../core/telemetry/series';
import { loadTables } from '../../node/tables/tablesLoader';
import { CommandId } from '../commandIds';
import { registerCommand } from '../commands/register';
import type { Container } from '../container';
import { getTelemetryPanel } from './telemetryPanel';

const maxExportBytes = 200 * 1024 * 1024;

/**
 * Reads a CSV or JSON export of a dashboard (Grafana, Datadog, a spreadsheet) through the table
 * layer (danfojs-node, loaded now and not before): the time column, one chart per numeric
 * column, one series per combination of the text columns.
 */
export async function readTelemetryExport(uri: vscode.Uri): Promise<{ name: string; series: Series[] }[]> {
  const stat = await vscode.workspace.fs.stat(uri);
  if (stat.size > maxExportBytes) throw new OpsloopError('tooLarge', `${uri.fsPath} is ${Math.round(stat.size / 1048576)} MB; Opsloop imports exports up to ${maxExportBytes / 1048576} MB.`);
  const format = /\.json$/i.test(uri.path) ? 'json' : 'csv';
  const text = new TextDecoder('utf-8').decode(await vscode.workspace.fs.readFile(uri));
  const tables = await loadTables();
  const table = tables.importTable(text, format);
  const columns = chooseExportColumns(table.columns, table.dtypes);
  if (!columns) throw new OpsloopError('invalidInput', `${uri.fsPath} has no time column and numeric column to chart (columns: ${table.columns.join(', ') || 'none'}).`);
  return columns.values.map((value) => ({
    name: value,
    series: tables.tableToSeries(table, { time: columns.time, value, labels: columns.labels, name: value }).map(timesInSeconds),
  }));
}

export function registerImportExport(container: Container): void {
  registerCommand(container, CommandId.importTelemetry, async (arg?: unknown) => {
    const uri =
      arg instanceof vscode.Uri
        ? arg
        : (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import', title: 'Opsloop: Import Telemetry Export', filters: { 'Telemetry exports': ['csv', 'json'] } }))?.[0];
    if (!uri) return undefined;
    const charts = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Opsloop: importing ${uri.path.split('/').pop()}…` }, () => readTelemetryExport(uri));
    await getTelemetryPanel(container).showImported(uri.path.split('/').pop() ?? uri.fsPath, charts);
    return charts.map((c) => c.name);
  });
}
