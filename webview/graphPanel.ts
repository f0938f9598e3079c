/**
 * The pipeline graph's renderer. The host computes the drawing (src/core/pipeline/graphLayout.ts)
 * and sends it whole; this file only draws it and turns clicks into requests from the fixed list.
 * All text is set as text, never as HTML.
 */
import { type GraphNode, type GraphRequest, type GraphSnapshot, isGraphNotification } from '../src/shared/graphProtocol';
import { badge, button, dropdown, progressRing, registerComponents } from './components';
import './panel.css';
import './graphPanel.css';

interface VsCodeApi {
  postMessage(message: GraphRequest): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const svgNs = 'http://www.w3.org/2000/svg';
const app = document.getElementById('app')!;

const statusLabels: Record<GraphNode['status'], string> = {
  idle: 'not run',
  queued: 'queued',
  running: 'running',
  passed: 'passed',
  failed: 'failed',
  skipped: 'skipped',
  canceled: 'canceled',
  manual: 'waiting for you',
};
const statusIcons: Record<GraphNode['status'], string> = {
  idle: '○',
  queued: '◔',
  running: '◐',
  passed: '✓',
  failed: '✕',
  skipped: '⤼',
  canceled: '⊘',
  manual: '▶',
};

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

function toolbar(snapshot: GraphSnapshot): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'toolbar';
  if (snapshot.pipelines.length > 0) {
    bar.appendChild(
      dropdown(
        snapshot.pipelines.map((p) => ({ value: p.file, label: `${p.name} · ${p.file}` })),
        snapshot.selectedFile,
        (file) => vscode.postMessage({ type: 'selectPipeline', file }),
        'Pipeline',
      ),
    );
  }
  const running = snapshot.run !== null && (snapshot.run.status === 'running' || snapshot.run.status === 'queued');
  if (snapshot.trusted && snapshot.view) {
    bar.appendChild(button('Run pipeline', { appearance: 'primary', disabled: running, title: 'Run the whole pipeline on this machine', onClick: () => vscode.postMessage({ type: 'runPipeline' }) }));
    bar.appendChild(button('Re-run failed', { disabled: running || snapshot.run?.status !== 'failed', title: 'Run the failed jobs again', onClick: () => vscode.postMessage({ type: 'rerunFailed' }) }));
    bar.appendChild(button('Cancel', { disabled: !running, title: 'Cancel the run', onClick: () => vscode.postMessage({ type: 'cancelRun' }) }));
  }
  const status = document.createElement('span');
  status.className = 'run-status';
  status.setAttribute('role', 'status');
  if (snapshot.run) {
    if (running) status.appendChild(progressRing());
    const text = document.createElement('span');
    text.textContent = running
      ? `Running: ${snapshot.run.done} of ${snapshot.run.total} jobs done`
      : `Last run ${snapshot.run.status}${snapshot.run.durationMs !== undefined ? ` in ${formatDuration(snapshot.run.durationMs)}` : ''}`;
    status.appendChild(text);
  } else if (!snapshot.trusted) {
    status.textContent = 'Restricted Mode: Opsloop runs nothing in this folder.';
  }
  bar.appendChild(status);
  return bar;
}

function nodeElement(node: GraphNode, trusted: boolean): SVGGElement {
  const group = svg('g', { class: `job status-${node.status}${node.allowedFailure ? ' allowed-failure' : ''}${node.manual ? ' manual' : ''}`, transform: `translate(${node.x} ${node.y})`, tabindex: 0, role: 'button' });
  group.setAttribute('aria-label', `${node.name}: ${statusLabels[node.status]}. Enter opens its definition${trusted ? ', R runs it' : ''}.`);
  group.dataset.jobId = node.id;
  const title = svg('title', {});
  title.textContent = `${node.detail}\nstatus: ${statusLabels[node.status]}${node.durationMs !== undefined ? ` (${formatDuration(node.durationMs)})` : ''}`;
  group.appendChild(title);
  group.appendChild(svg('rect', { class: 'box', width: node.width, height: node.height, rx: 6 }));
  const icon = svg('text', { class: 'icon', x: 14, y: node.height / 2, 'dominant-baseline': 'central', 'text-anchor': 'middle' });
  icon.textContent = statusIcons[node.status];
  group.appendChild(icon);
  const label = svg('text', { class: 'label', x: 28, y: node.height / 2 - (node.durationMs !== undefined ? 6 : 0), 'dominant-baseline': 'central' });
  label.textContent = node.label;
  group.appendChild(label);
  if (node.durationMs !== undefined) {
    const duration = svg('text', { class: 'duration', x: 28, y: node.height / 2 + 9, 'dominant-baseline': 'central' });
    duration.textContent = formatDuration(node.durationMs);
    group.appendChild(duration);
  }
  if (trusted) {
    const run = svg('g', { class: 'run', transform: `translate(${node.width - 24} ${node.height / 2 - 9})`, role: 'button' });
    run.setAttribute('aria-label', `Run ${node.name}`);
    const runTitle = svg('title', {});
    runTitle.textContent = `Run ${node.name} (with the jobs it needs)`;
    run.appendChild(runTitle);
    run.appendChild(svg('rect', { width: 18, height: 18, rx: 3 }));
    run.appendChild(svg('path', { d: 'M 6 4 L 14 9 L 6 14 Z' }));
    run.addEventListener('click', (event) => {
      event.stopPropagation();
      vscode.postMessage({ type: 'runJob', jobId: node.id });
    });
    group.appendChild(run);
  }
  group.addEventListener('click', () => vscode.postMessage({ type: 'revealJob', jobId: node.id }));
  group.addEventListener('dblclick', () => vscode.postMessage({ type: 'showJobLog', jobId: node.id }));
  group.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') vscode.postMessage({ type: 'revealJob', jobId: node.id });
    else if ((event.key === 'r' || event.key === 'R') && trusted) vscode.postMessage({ type: 'runJob', jobId: node.id });
    else if (event.key === 'l' || event.key === 'L') vscode.postMessage({ type: 'showJobLog', jobId: node.id });
  });
  return group;
}

function graph(snapshot: GraphSnapshot): Element {
  const view = snapshot.view;
  if (!view) {
    const empty = document.createElement('p');
    empty.className = 'empty';
    empty.textContent = snapshot.message ?? 'No pipeline to show.';
    return empty;
  }
  const container = document.createElement('div');
  container.className = 'graph';
  const root = svg('svg', { width: view.width, height: view.height, viewBox: `0 0 ${view.width} ${view.height}`, role: 'img' });
  root.setAttribute('aria-label', `Pipeline graph of ${view.title}`);
  for (const column of view.columns) {
    const header = svg('text', { class: 'stage', x: column.x + 4, y: 28 });
    header.textContent = column.stage;
    root.appendChild(header);
  }
  const edges = svg('g', { class: 'edges' });
  for (const edge of view.edges) edges.appendChild(svg('path', { d: edge.path, class: edge.active ? 'edge active' : 'edge' }));
  root.appendChild(edges);
  for (const node of view.nodes) root.appendChild(nodeElement(node, snapshot.trusted));
  container.appendChild(root);
  return container;
}

function render(snapshot: GraphSnapshot): void {
  const focused = (document.activeElement as HTMLElement | null)?.dataset?.jobId;
  app.replaceChildren(toolbar(snapshot), graph(snapshot));
  if (snapshot.message && snapshot.view) {
    const note = document.createElement('p');
    note.className = 'note';
    note.textContent = snapshot.message;
    app.appendChild(note);
  }
  if (snapshot.pipelines.length > 0 && snapshot.view) app.appendChild(badge(`${snapshot.view.nodes.length} jobs`));
  if (focused) (app.querySelector(`[data-job-id="${CSS.escape(focused)}"]`) as HTMLElement | null)?.focus();
}

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isGraphNotification(event.data)) render(event.data.snapshot);
});

registerComponents();
vscode.postMessage({ type: 'ready' });
