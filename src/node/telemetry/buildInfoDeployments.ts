/**
 * Deployments from a build-info query on any source: query the series over the range, then let
 * the core rules decide which revision changes are deployments.
 */
import { environmentOf, type SourceConfig } from '../../core/config/opsloopConfig';
import { deploymentsFromBuildInfo } from '../../core/telemetry/buildInfo';
import type { DeploymentRequest, DeploymentResult, TelemetrySource, TimeRange } from './telemetrySource';

export async function buildInfoDeployments(source: TelemetrySource, config: SourceConfig, request: DeploymentRequest, range: TimeRange, signal?: AbortSignal): Promise<DeploymentResult> {
  const result = await source.query(request.query, range, signal);
  const found = deploymentsFromBuildInfo(result.series, {
    environment: request.environment ?? environmentOf(config),
    sourceId: config.name,
    ...(request.revisionLabel !== undefined ? { revisionLabel: request.revisionLabel } : {}),
    ...(request.service !== undefined ? { service: request.service } : {}),
  });
  const warnings = [...(result.warnings ?? []), ...found.warnings];
  return {
    deployments: found.deployments,
    ...(result.partial && result.partial.length > 0 ? { partial: result.partial } : {}),
    ...(warnings.length > 0 ? { warnings } : {}),
  };
}
