import { isSensitivity } from '../../core/anomaly/detect';
import { formatDurationMs, formatValue } from '../../core/charts/format';
import { OpsloopError } from '../../core/errors';
import type { DeployAssessment, Verdict } from '../../core/incidents/deployCheck';
import { formatRfc3339, parseDuration, parseTimeSpec } from '../../core/telemetry/time';
import { HttpClient } from '../../node/http/httpClient';
import { checkDeployment } from '../../node/incidents/checkDeployment';
import { createTelemetrySource } from '../../node/telemetry/createSource';
import { envCredentials } from '../../node/telemetry/envCredentials';
import type { TelemetrySource } from '../../node/telemetry/telemetrySource';
import { loadWorkspaceConfig } from '../../node/telemetry/workspaceConfig';
import { parseArgs } from '../args';
import { type CliCommand, type CliIO, ExitCode } from '../cliCommand';

const marks: Record<Verdict, string> = { healthy: '✓', regressed: '✗', unknown: '?' };

function formatPercentChange(change: { before: number; after: number }): string {
  if (change.before === 0) return change.after === 0 ? 'no change' : 'from zero';
  const pct = (change.after / change.before - 1) * 100;
  return `${pct >= 0 ? '+' : '−'}${Math.abs(pct) >= 10 ? Math.round(Math.abs(pct)) : Math.abs(pct).toFixed(1)} %`;
}

export function formatAssessment(a: DeployAssessment, problems: readonly string[]): string {
  const d = a.deployment;
  const from = d.source === 'gitTag' && d.jobName ? ` (tag ${d.jobName})` : d.source === 'buildInfo' ? ' (build info)' : d.source === 'pipeline' && d.jobName ? ` (job ${d.jobName})` : '';
  const out = [
    `Deployment ${d.revision === 'unknown' ? '(revision not given)' : d.revision.slice(0, 12)} to ${d.environment} at ${formatRfc3339(d.time)}${from}`,
    `Checked ${formatDurationMs((a.window.end - a.window.start) * 1000)} after it against the history before it.`,
    '',
  ];
  const width = Math.max(...a.queries.map((q) => q.name.length));
  for (const q of a.queries) {
    const detail = q.verdict === 'regressed' ? q.anomalies.map((x) => x.explanation).join(' ') : q.verdict === 'unknown' ? `cannot tell: ${q.reason}` : 'no change beyond its usual behaviour';
    out.push(`${marks[q.verdict]} ${q.name.padEnd(width)}  ${detail}`);
    if (q.change) out.push(`  ${' '.repeat(width)}  mean ${formatValue(q.change.before, q.unit)} before → ${formatValue(q.change.after, q.unit)} after (${formatPercentChange(q.change)})`);
  }
  for (const p of problems) out.push(`  note: a deployment source could not be read: ${p}`);
  const regressed = a.queries.filter((q) => q.verdict === 'regressed').length;
  out.push(
    '',
    a.verdict === 'regressed'
      ? `Verdict: the deployment hurt production (${regressed} of ${a.queries.length} ${a.queries.length === 1 ? 'query' : 'queries'} changed after it).`
      : a.verdict === 'unknown'
        ? 'Verdict: cannot tell: some data is missing or partial (see above); not calling it healthy.'
        : 'Verdict: healthy: no query changed beyond its usual behaviour after the deployment.',
  );
  return `${out.join('\n')}\n`;
}

export function assessmentToJson(a: DeployAssessment, problems: readonly string[]): unknown {
  return {
    verdict: a.verdict,
    deployment: a.deployment,
    window: a.window,
    queries: a.queries.map((q) => ({
      name: q.name,
      source: q.source,
      verdict: q.verdict,
      ...(q.reason !== undefined ? { reason: q.reason } : {}),
      ...(q.change ? { meanBefore: q.change.before, meanAfter: q.change.after } : {}),
      anomalies: q.anomalies.map((x) => ({ onset: x.onset, peak: x.peak, end: x.end ?? null, kind: x.kind, score: x.score, baseline: x.baseline, value: x.value, explanation: x.explanation })),
    })),
    problems,
  };
}

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Did this deploy hurt production? Exit 1 when telemetry changed after it.',
  usage: `Usage: opsloop check [--service S] [--revision SHA | --since T] [--window 1h] [--baseline 3d]
                     [--environment E] [--sensitivity low|medium|high] [--json] [--config FILE]

Finds the deployment (by revision, from the build-info series and deploy tags of .opsloop.yml),
reads each telemetry query of the service around it, runs the anomaly detector over the history
and says whether a query changed beyond its usual behaviour after the deployment.

Options:
  --service S       The service whose queries are checked (default: the only one, or all).
  --revision SHA    The deployed commit (full or abbreviated); default $CI_COMMIT_SHA or
                    $GITHUB_SHA when set, else the latest deployment found.
  --since T         The deployment time (now, -20m, Unix seconds, RFC 3339), when it is known.
  --window D        How long after the deployment to look (default 1h).
  --baseline D      History before it that says what is usual (default 3d).
  --environment E   Only deployments to this environment.
  --sensitivity S   low, medium (default) or high.
  --json            Print the verdict, the deployment and each query's anomalies as JSON.
  --config FILE     Read this configuration file instead of .opsloop.yml.

Tokens come from the environment, as for opsloop query (OPSLOOP_TOKEN_<SOURCE>, pinned with
OPSLOOP_ORIGIN_<SOURCE>).

Exit status: 0 healthy, 1 the deployment hurt production, 2 bad usage or no deployment found,
3 cannot tell (a source failed or its data is partial after the deployment).
`,
  async run(args: readonly string[], io: CliIO): Promise<number> {
    const { options, positionals } = parseArgs(args, {
      service: { type: 'string' },
      revision: { type: 'string' },
      since: { type: 'string' },
      window: { type: 'string' },
      baseline: { type: 'string' },
      environment: { type: 'string' },
      sensitivity: { type: 'string' },
      json: { type: 'boolean' },
      config: { type: 'string' },
    });
    if (positionals.length > 0) throw new OpsloopError('invalidInput', `unexpected argument '${positionals[0]}'.`);
    const sensitivity = (options.sensitivity as string | undefined) ?? 'medium';
    if (!isSensitivity(sensitivity)) throw new OpsloopError('invalidInput', `--sensitivity must be low, medium or high, not '${sensitivity}'.`);
    const now = Date.now() / 1000;
    const windowSeconds = parseDuration((options.window as string | undefined) ?? '1h');
    const baselineSeconds = parseDuration((options.baseline as string | undefined) ?? '3d');
    if (!(windowSeconds > 0) || !(baselineSeconds > 0)) throw new OpsloopError('invalidInput', '--window and --baseline must be positive durations (30m, 1h, 3d).');
    const since = options.since !== undefined ? parseTimeSpec(options.since as string, now) : undefined;
    const revision = (options.revision as string | undefined) ?? (since === undefined ? io.env.CI_COMMIT_SHA || io.env.GITHUB_SHA || undefined : undefined);
    if (revision !== undefined && !/^[0-9a-fA-F]{4,64}$/.test(revision)) throw new OpsloopError('invalidInput', `--revision '${revision}' is not a commit SHA.`);

    const workspace = await loadWorkspaceConfig(io.cwd, options.config as string | undefined);
    if (!workspace) throw new OpsloopError('invalidInput', `no .opsloop.yml in ${io.cwd}: the check reads its telemetry queries and deployments (see docs/telemetry.md).`);
    for (const d of workspace.diagnostics.filter((x) => x.severity === 'error')) io.stderr(`${workspace.file}:${d.range.line}:${d.range.column}: ${d.message}\n`);
    const http = new HttpClient({ proxy: 'environment', userAgent: 'opsloop-cli' });
    const credentials = envCredentials(io.env, io.stderr);
    const sources = new Map<string, TelemetrySource>();
    const source = (name: string): TelemetrySource => {
      const config = workspace.config.sources.find((s) => s.name === name);
      if (!config) throw new OpsloopError('invalidInput', `no source is named '${name}' in ${workspace.file}.`);
      if (!sources.has(name)) sources.set(name, createTelemetrySource(config, { http, credentials, root: io.cwd, allowOutsideRoot: true, concurrency: 2 }));
      return sources.get(name)!;
    };
    let result;
    try {
      result = await checkDeployment({
        root: io.cwd,
        config: workspace.config,
        ...(options.service !== undefined ? { service: options.service as string } : {}),
        ...(revision !== undefined ? { revision } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(options.environment !== undefined ? { environment: options.environment as string } : {}),
        windowSeconds,
        baselineSeconds,
        sensitivity,
        now,
        useGit: true,
        source,
        signal: io.signal,
      });
    } catch (error) {
      if (OpsloopError.is(error, 'notFound')) {
        io.stderr(`opsloop check: ${error.message}${error.nextStep ? ` (${error.nextStep})` : ''}\n`);
        return ExitCode.usage;
      }
      throw error;
    }
    io.stdout(options.json ? `${JSON.stringify(assessmentToJson(result.assessment, result.problems), null, 2)}\n` : formatAssessment(result.assessment, result.problems));
    return result.assessment.verdict === 'healthy' ? ExitCode.ok : result.assessment.verdict === 'regressed' ? ExitCode.failed : ExitCode.inconclusive;
  },
};
