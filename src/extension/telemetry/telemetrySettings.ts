import * as vscode from 'vscode';
import { defaultRetryPolicy, type RetryPolicy } from '../../node/http/retryPolicy';

/**
 * How telemetry requests behave. Proxies are not Opsloop settings: requests go through VS Code's
 * own http stack, so `http.proxy`, `http.proxySupport`, `http.noProxy`, `http.proxyStrictSSL`
 * and the system certificates apply as they do for VS Code itself.
 */
export interface TelemetrySettings {
  readonly timeoutSeconds: number;
  readonly retries: number;
  readonly maxResponseBytes: number;
  readonly concurrency: number;
}

function clamp(value: unknown, min: number, max: number, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
}

export function readTelemetrySettings(): TelemetrySettings {
  const c = vscode.workspace.getConfiguration('opsloop.telemetry');
  return {
    timeoutSeconds: clamp(c.get('timeoutSeconds'), 1, 600, 30),
    retries: Math.round(clamp(c.get('retries'), 0, 10, defaultRetryPolicy.retries)),
    maxResponseBytes: clamp(c.get('maxResponseMegabytes'), 1, 1024, 64) * 1024 * 1024,
    concurrency: Math.round(clamp(c.get('concurrency'), 1, 8, 2)),
  };
}

export function retryPolicyOf(settings: TelemetrySettings): RetryPolicy {
  return { ...defaultRetryPolicy, retries: settings.retries };
}
