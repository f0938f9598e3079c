/** The pipeline graph panel's messages, declared once for the host and the webview. */
import type { GraphView } from '../core/pipeline/graphLayout';
import { isSnapshotMessage, type MessageOf } from './ipc';

export type { GraphEdge, GraphNode, GraphView } from '../core/pipeline/graphLayout';

/** Everything the panel shows, sent whole (never a delta), so a hidden panel can catch up at once. */
export interface GraphSnapshot {
  readonly pipelines: readonly { readonly file: string; readonly name: string }[];
  readonly selectedFile: string | null;
  readonly view: GraphView | null;
  readonly run: { readonly id: string; readonly status: string; readonly done: number; readonly total: number; readonly durationMs?: number } | null;
  /** Restricted Mode: the panel shows the graph but offers no run actions. */
  readonly trusted: boolean;
  /** Why there is no graph ("No pipeline found", a parse failure...). */
  readonly message?: string;
}

/** What the webview may ask of the host: this list and nothing else. */
export const graphRequests = {
  ready: {},
  selectPipeline: { file: 'string' },
  revealJob: { jobId: 'string' },
  runJob: { jobId: 'string' },
  showJobLog: { jobId: 'string' },
  runPipeline: {},
  rerunFailed: {},
  cancelRun: {},
} as const;
export type GraphRequest = MessageOf<typeof graphRequests>;

/** What the host sends: the whole state, each time it changes. */
export interface GraphNotification {
  readonly type: 'snapshot';
  readonly snapshot: GraphSnapshot;
}

export function isGraphNotification(value: unknown): value is GraphNotification {
  return isSnapshotMessage<GraphSnapshot>(value, 'pipelines');
}
