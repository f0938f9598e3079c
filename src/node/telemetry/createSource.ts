/** One `TelemetrySource` per configured source, by kind. */
import type { SourceConfig } from '../../core/config/opsloopConfig';
import { DatadogSource } from './datadogSource';
import { DynatraceSource } from './dynatraceSource';
import { FileSource } from './fileSource';
import { PrometheusSource } from './prometheusSource';
import { SplunkSource } from './splunkSource';
import type { SourceDeps, TelemetrySource } from './telemetrySource';

export function createTelemetrySource(config: SourceConfig, deps: SourceDeps): TelemetrySource {
  switch (config.kind) {
    case 'prometheus':
      return new PrometheusSource(config, deps);
    case 'dynatrace':
      return new DynatraceSource(config, deps);
    case 'splunk':
      return new SplunkSource(config, deps);
    case 'datadog':
      return new DatadogSource(config, deps);
    case 'file':
      return new FileSource(config, deps);
  }
}
