/**
 * The pipeline graph as a drawing: stage columns, job boxes and needs edges with their
 * coordinates, computed here (pure, unit-tested) so the webview renderer only draws.
 */
import type { JobStatus } from '../run/runEvents';
import type { Job, Pipeline } from './model';

export interface GraphJobState {
  readonly status: JobStatus;
  readonly allowedFailure?: boolean;
  readonly durationMs?: number;
}

export interface GraphNode {
  readonly id: string;
  /** The job's name, shortened to fit the box when it must. */
  readonly label: string;
  readonly name: string;
  readonly stage: string;
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** 'idle' before any run touched the job. */
  readonly status: JobStatus | 'idle';
  readonly allowedFailure: boolean;
  readonly manual: boolean;
  readonly durationMs?: number;
  /** Shown on hover: the job's stage, needs and when. */
  readonly detail: string;
}

export interface GraphEdge {
  readonly from: string;
  readonly to: string;
  /** An SVG path ("M x y C ...") from the right side of `from` to the left side of `to`. */
  readonly path: string;
  /** The edge of a job that is running or has run: drawn stronger. */
  readonly active: boolean;
}

export interface GraphColumn {
  readonly stage: string;
  readonly x: number;
  readonly width: number;
}

export interface GraphView {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly columns: readonly GraphColumn[];
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly GraphEdge[];
}

export const graphMetrics = { minNodeWidth: 150, maxNodeWidth: 300, nodeHeight: 38, columnGap: 72, rowGap: 12, headerHeight: 34, padding: 16, charWidth: 6.8, chrome: 64 } as const;

/** Wide enough for the longest job name (matrix names differ at their end), within bounds. */
export function nodeWidthFor(labels: readonly string[]): number {
  const m = graphMetrics;
  const longest = labels.reduce((max, l) => Math.max(max, l.length), 0);
  return Math.ceil(Math.min(m.maxNodeWidth, Math.max(m.minNodeWidth, longest * m.charWidth + m.chrome)));
}

/** A label that fits `width`: long names keep their start and their end, where matrix values are. */
export function fitLabel(label: string, width: number): string {
  const m = graphMetrics;
  const room = Math.floor((width - m.chrome) / m.charWidth + 1e-9);
  if (label.length <= room) return label;
  const tail = Math.ceil((room - 1) / 2);
  return `${label.slice(0, room - 1 - tail)}…${label.slice(label.length - tail)}`;
}

/** The jobs a job waits for, by id: explicit needs (a matrix parent name stands for all its instances). */
function neededIds(job: Job, byName: Map<string, Job[]>): string[] {
  if (!job.needs) return [];
  return job.needs.flatMap((need) => (byName.get(need.job) ?? []).map((j) => j.id));
}

export function layoutPipelineGraph(pipeline: Pipeline, states: ReadonlyMap<string, GraphJobState> = new Map()): GraphView {
  const m = graphMetrics;
  const byName = new Map<string, Job[]>();
  for (const job of pipeline.jobs) {
    for (const key of new Set([job.name, job.definition])) {
      const list = byName.get(key) ?? [];
      list.push(job);
      byName.set(key, list);
    }
  }
  const jobsById = new Map(pipeline.jobs.map((j) => [j.id, j]));
  const stageNames = pipeline.stages.filter((s) => s.jobs.length > 0).map((s) => s.name);
  const nodeWidth = nodeWidthFor(pipeline.jobs.map((j) => j.name));
  const columns: GraphColumn[] = stageNames.map((stage, i) => ({ stage, x: m.padding + i * (nodeWidth + m.columnGap), width: nodeWidth }));
  const nodes: GraphNode[] = [];
  const position = new Map<string, { x: number; y: number }>();
  let tallest = 0;
  for (const [i, stage] of pipeline.stages.filter((s) => s.jobs.length > 0).entries()) {
    // Order within a column by the average row of the jobs they need (fewer crossings), then file order.
    const jobs = stage.jobs.map((id) => jobsById.get(id)).filter((j): j is Job => j !== undefined);
    const rank = (job: Job): number => {
      const rows = neededIds(job, byName)
        .map((id) => position.get(id)?.y)
        .filter((y): y is number => y !== undefined);
      return rows.length > 0 ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.POSITIVE_INFINITY;
    };
    const ordered = jobs.map((job, index) => ({ job, index, rank: rank(job) })).sort((a, b) => (a.rank === b.rank ? a.index - b.index : a.rank < b.rank ? -1 : 1));
    ordered.forEach(({ job }, row) => {
      const x = columns[i]!.x;
      const y = m.padding + m.headerHeight + row * (m.nodeHeight + m.rowGap);
      position.set(job.id, { x, y });
      const state = states.get(job.id);
      const needs = job.needs === null ? 'the previous stages' : job.needs.length === 0 ? 'nothing' : job.needs.map((n) => n.job).join(', ');
      nodes.push({
        id: job.id,
        label: fitLabel(job.name, nodeWidth),
        name: job.name,
        stage: job.stage,
        x,
        y,
        width: nodeWidth,
        height: m.nodeHeight,
        status: state?.status ?? 'idle',
        allowedFailure: state?.allowedFailure ?? job.allowFailure,
        manual: job.when === 'manual',
        ...(state?.durationMs !== undefined ? { durationMs: state.durationMs } : {}),
        detail: `${job.name}\nstage: ${job.stage}\nneeds: ${needs}\nwhen: ${job.when}${job.allowFailure ? '\nallowed to fail' : ''}`,
      });
    });
    tallest = Math.max(tallest, ordered.length);
  }
  const edges: GraphEdge[] = [];
  for (const job of pipeline.jobs) {
    const to = position.get(job.id);
    if (!to) continue;
    for (const fromId of new Set(neededIds(job, byName))) {
      const from = position.get(fromId);
      if (!from) continue;
      const x1 = from.x + nodeWidth;
      const y1 = from.y + m.nodeHeight / 2;
      const x2 = to.x;
      const y2 = to.y + m.nodeHeight / 2;
      const bend = Math.max(24, (x2 - x1) / 2);
      const status = states.get(job.id)?.status;
      edges.push({
        from: fromId,
        to: job.id,
        path: `M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`,
        active: status !== undefined && status !== 'queued' && status !== 'skipped',
      });
    }
  }
  const width = columns.length > 0 ? columns[columns.length - 1]!.x + nodeWidth + m.padding : 2 * m.padding;
  const height = m.padding * 2 + m.headerHeight + Math.max(1, tallest) * (m.nodeHeight + m.rowGap);
  return { title: `${pipeline.name} (${pipeline.file})`, width, height, columns, nodes, edges };
}
