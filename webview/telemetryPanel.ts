/**
 * The telemetry panel's renderer: charts drawn from the host's view-models (src/core/charts),
 * anomalies as bands with their explanations, deployments as markers on the same time axis.
 * Partial and failed data say so on the chart itself. All text is set as text.
 */
import { type ChartView, isTelemetryNotification, type TelemetryChart, type TelemetryRequest, type TelemetrySnapshot } from '../src/shared/telemetryProtocol';
import { badge, button, dropdown, progressRing, registerComponents } from './components';
import './panel.css';
import './telemetryPanel.css';

interface VsCodeApi {
  postMessage(message: TelemetryRequest): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const svgNs = 'http://www.w3.org/2000/svg';
const app = document.getElementById('app')!;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const element = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, String(value));
  return element;
}

function text(tag: string, content: string, className?: string): HTMLElement {
  const element = document.createElement(tag);
  element.textContent = content;
  if (className) element.className = className;
  return element;
}

function toolbar(snapshot: TelemetrySnapshot): HTMLElement {
  const bar = document.createElement('div');
  bar.className = 'toolbar';
  if (snapshot.services.length > 0) {
    bar.appendChild(dropdown(snapshot.services.map((s) => ({ value: s, label: s })), snapshot.service, (service) => vscode.postMessage({ type: 'selectService', service }), 'Service'));
  }
  bar.appendChild(dropdown(snapshot.ranges.map((r) => ({ value: r.key, label: r.label })), snapshot.range, (range) => vscode.postMessage({ type: 'selectRange', range }), 'Time range'));
  bar.appendChild(
    dropdown(
      [
        { value: 'low', label: 'Sensitivity: low (fewest alarms)' },
        { value: 'medium', label: 'Sensitivity: medium' },
        { value: 'high', label: 'Sensitivity: high (more alarms)' },
      ],
      snapshot.sensitivity,
      (sensitivity) => vscode.postMessage({ type: 'setSensitivity', sensitivity }),
      'Anomaly sensitivity',
    ),
  );
  bar.appendChild(button('Refresh', { title: 'Query the sources again', onClick: () => vscode.postMessage({ type: 'refresh' }) }));
  return bar;
}

function chartSvg(view: ChartView, chartIndex: number): SVGSVGElement {
  const root = svg('svg', { width: view.width, height: view.height, viewBox: `0 0 ${view.width} ${view.height}`, role: 'img', class: 'chart' });
  root.setAttribute('aria-label', `${view.title}${view.latest ? `, latest ${view.latest}` : ''}, ${view.anomalies.length} anomalies, ${view.deployments.length} deployments`);
  const { left, top, width, height } = view.plot;
  for (const tick of view.yTicks) {
    root.appendChild(svg('line', { class: 'grid', x1: left, x2: left + width, y1: tick.y, y2: tick.y }));
    const label = svg('text', { class: 'tick y', x: left - 6, y: tick.y, 'text-anchor': 'end', 'dominant-baseline': 'central' });
    label.textContent = tick.label;
    root.appendChild(label);
  }
  for (const tick of view.xTicks) {
    root.appendChild(svg('line', { class: tick.major ? 'grid major' : 'grid', x1: tick.x, x2: tick.x, y1: top, y2: top + height }));
    const label = svg('text', { class: 'tick x', x: tick.x, y: top + height + 16, 'text-anchor': 'middle' });
    label.textContent = tick.label;
    root.appendChild(label);
  }
  for (const gap of view.gaps) {
    const rect = svg('rect', { class: 'gap', x: gap.x, y: top, width: gap.width, height });
    const title = svg('title', {});
    title.textContent = `No data: ${gap.reason}`;
    rect.appendChild(title);
    root.appendChild(rect);
  }
  for (const mark of view.anomalies) {
    const band = svg('rect', { class: `anomaly ${mark.severity}${mark.ongoing ? ' ongoing' : ''}`, x: mark.x, y: top, width: mark.width, height });
    const title = svg('title', {});
    title.textContent = mark.label;
    band.appendChild(title);
    root.appendChild(band);
  }
  for (const line of view.lines) root.appendChild(svg('path', { class: `line color-${(line.color + chartIndex) % 4}`, d: line.path }));
  for (const mark of view.anomalies) {
    const dot = svg('circle', { class: `peak ${mark.severity}`, cx: mark.peakX, cy: mark.peakY, r: 4 });
    const title = svg('title', {});
    title.textContent = mark.label;
    dot.appendChild(title);
    root.appendChild(dot);
  }
  for (const deployment of view.deployments) {
    const group = svg('g', { class: 'deployment' });
    const title = svg('title', {});
    title.textContent = deployment.detail;
    group.appendChild(title);
    group.appendChild(svg('line', { x1: deployment.x, x2: deployment.x, y1: top, y2: top + height }));
    group.appendChild(svg('path', { d: `M ${deployment.x - 5} ${top} L ${deployment.x + 5} ${top} L ${deployment.x} ${top + 7} Z` }));
    const label = svg('text', { x: deployment.x + 4, y: top + 16 });
    label.textContent = deployment.label;
    group.appendChild(label);
    root.appendChild(group);
  }
  return root;
}

function chartCard(chart: TelemetryChart, index: number): HTMLElement {
  const card = document.createElement('section');
  card.className = `card state-${chart.state}`;
  card.dataset.chartId = chart.id;
  const header = document.createElement('header');
  header.appendChild(text('h2', chart.view?.title ?? chart.query));
  if (chart.view?.latest) header.appendChild(text('span', chart.view.latest, 'latest'));
  header.appendChild(text('span', chart.source, 'source'));
  if (chart.state === 'loading') header.appendChild(progressRing());
  if (chart.state === 'partial') header.appendChild(badge('partial data'));
  if (chart.state === 'failed') header.appendChild(badge('failed'));
  card.appendChild(header);
  if (chart.message) {
    const note = text('p', chart.message, chart.state === 'failed' ? 'error' : 'warning');
    note.setAttribute('role', chart.state === 'failed' ? 'alert' : 'status');
    card.appendChild(note);
  }
  if (chart.action) {
    const request = chart.action.request;
    card.appendChild(
      button(chart.action.label, {
        onClick: () => vscode.postMessage(request === 'setToken' ? { type: 'setToken', source: chart.source } : request === 'openConfig' ? { type: 'openConfig' } : { type: 'refresh' }),
      }),
    );
  }
  if (chart.view?.empty) card.appendChild(text('p', chart.view.empty, 'empty'));
  else if (chart.view) card.appendChild(chartSvg(chart.view, index));
  return card;
}

function anomalyTable(snapshot: TelemetrySnapshot): HTMLElement | undefined {
  if (snapshot.anomalies.length === 0) return undefined;
  const section = document.createElement('section');
  section.className = 'anomalies';
  section.appendChild(text('h2', `Anomalies (${snapshot.anomalies.length})`));
  const list = document.createElement('ul');
  for (const row of snapshot.anomalies) {
    const item = document.createElement('li');
    item.className = `severity-${row.severity}`;
    item.appendChild(text('span', row.onset, 'when'));
    item.appendChild(text('span', row.explanation, 'what'));
    if (row.afterDeployment) item.appendChild(text('span', row.afterDeployment, 'deploy'));
    if (row.ongoing) item.appendChild(badge('ongoing'));
    list.appendChild(item);
  }
  section.appendChild(list);
  return section;
}

function render(snapshot: TelemetrySnapshot): void {
  const children: HTMLElement[] = [toolbar(snapshot)];
  if (snapshot.message) children.push(text('p', snapshot.message, 'message'));
  const anomalies = anomalyTable(snapshot);
  if (anomalies) children.push(anomalies);
  const grid = document.createElement('div');
  grid.className = 'charts';
  snapshot.charts.forEach((chart, i) => grid.appendChild(chartCard(chart, i)));
  children.push(grid);
  app.replaceChildren(...children);
}

let lastWidth = 0;
let resizeTimer: ReturnType<typeof setTimeout> | undefined;
function reportWidth(): void {
  const width = Math.floor(app.clientWidth || document.body.clientWidth);
  if (width > 0 && Math.abs(width - lastWidth) >= 8) {
    lastWidth = width;
    vscode.postMessage({ type: 'resize', width });
  }
}
new ResizeObserver(() => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(reportWidth, 150);
}).observe(document.body);

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isTelemetryNotification(event.data)) render(event.data.snapshot);
});

registerComponents();
vscode.postMessage({ type: 'ready' });
reportWidth();
