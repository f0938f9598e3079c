/** The telemetry panel's messages, declared once for the host and the webview. */
import type { ChartView } from '../core/charts/chartLayout';
import { isSnapshotMessage, type MessageOf } from './ipc';

export type { ChartView } from '../core/charts/chartLayout';

export type ChartState = 'loading' | 'ok' | 'partial' | 'failed';

export interface TelemetryChart {
  readonly id: string;
  readonly query: string;
  readonly source: string;
  readonly state: ChartState;
  /** What is wrong or missing ("Prometheus answered with warnings: ...", "401: set a token"). Never absent when state is partial or failed. */
  readonly message?: string;
  /** The action that fixes the failure, when there is one. */
  readonly action?: { readonly label: string; readonly request: 'setToken' | 'refresh' | 'openConfig' };
  readonly view: ChartView | null;
}

export interface AnomalyRow {
  readonly chartId: string;
  readonly onset: string;
  readonly explanation: string;
  readonly severity: 'low' | 'medium' | 'high';
  readonly ongoing: boolean;
  /** The deployment just before the onset, if any ("38f0229 deployed 2 min before"). */
  readonly afterDeployment?: string;
}

export interface TelemetrySnapshot {
  readonly services: readonly string[];
  readonly service: string | null;
  readonly ranges: readonly { readonly key: string; readonly label: string }[];
  readonly range: string;
  readonly sensitivity: 'low' | 'medium' | 'high';
  readonly charts: readonly TelemetryChart[];
  readonly anomalies: readonly AnomalyRow[];
  /** Empty-state or configuration message ("No .opsloop.yml in this workspace"). */
  readonly message?: string;
  readonly trusted: boolean;
}

/** What the webview may ask of the host: this list and nothing else. */
export const telemetryRequests = {
  ready: {},
  resize: { width: 'number' },
  selectService: { service: 'string' },
  selectRange: { range: 'string' },
  setSensitivity: { sensitivity: 'string' },
  refresh: {},
  setToken: { source: 'string' },
  openConfig: {},
} as const;
export type TelemetryRequest = MessageOf<typeof telemetryRequests>;

export interface TelemetryNotification {
  readonly type: 'snapshot';
  readonly snapshot: TelemetrySnapshot;
}

export function isTelemetryNotification(value: unknown): value is TelemetryNotification {
  return isSnapshotMessage<TelemetrySnapshot>(value, 'charts');
}
