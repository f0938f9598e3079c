// Generates the demo's recorded production telemetry: deterministic (seeded), with a daily
// traffic cycle, one unrelated night-time blip, and the latency regression that follows the
// deployment of 18 November 14:00 UTC. Revisions in checkout_build_info are the real SHAs of
// the demo history's deployed commits.

const start = Date.parse('2026-11-12T12:00:00Z') / 1000;
const end = Date.parse('2026-11-18T18:00:00Z') / 1000;
const step = 120;

/** mulberry32: a small seeded PRNG, so the file is the same on every machine. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gaussian(random) {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/**
 * @param deployments [{ time (unix s), revision }] in time order; the last one is the regression.
 * @returns {{ openMetrics: string, logs: string }}
 */
export function generateTelemetry(deployments) {
  const random = prng(20261118);
  const regressionAt = deployments[deployments.length - 1].time;
  const latency = [];
  const errors = [];
  const traffic = [];
  const build = [];
  const logs = [];
  for (let t = start; t <= end; t += step) {
    const hour = ((t / 3600) % 24 + 24) % 24;
    const day = 0.5 + 0.5 * Math.sin((2 * Math.PI * (hour - 8)) / 24);
    const rps = 30 + 90 * day + 4 * gaussian(random);
    // The regression ramps in over a few minutes as new pods take traffic.
    const ramp = t < regressionAt ? 0 : Math.min(1, (t - regressionAt) / 360);
    let p99 = 0.16 + 0.06 * day + 0.008 * gaussian(random);
    p99 *= 1 + 3.3 * ramp * (0.75 + 0.25 * day);
    // A nightly backup on 14 November slows the database for a few minutes; nothing was deployed.
    if (t >= Date.parse('2026-11-14T03:10:00Z') / 1000 && t < Date.parse('2026-11-14T03:18:00Z') / 1000) p99 += 0.35;
    const errorRatio = Math.max(0, 0.002 + 0.0006 * gaussian(random) + ramp * (0.018 + 0.012 * day));
    latency.push(`checkout_latency_p99_seconds{service="checkout"} ${p99.toFixed(4)} ${t}`);
    errors.push(`checkout_error_ratio{service="checkout"} ${errorRatio.toFixed(5)} ${t}`);
    traffic.push(`checkout_requests_per_second{service="checkout"} ${rps.toFixed(2)} ${t}`);
    const running = deployments.filter((d) => d.time <= t).pop();
    if (running) build.push(`checkout_build_info{service="checkout",revision="${running.revision}",version="1.4.0"} 1 ${t}`);
    if ((t - start) % 1800 === 0) {
      logs.push({ time: new Date(t * 1000).toISOString(), level: 'info', service: 'checkout', msg: 'health check ok', rps: Math.round(rps) });
    }
    if (ramp > 0 && random() < 0.35) {
      logs.push({
        time: new Date(t * 1000).toISOString(),
        level: random() < 0.3 ? 'error' : 'warn',
        service: 'checkout',
        msg: random() < 0.5 ? 'catalog lookup slow' : 'request timed out waiting for catalog',
        roundTrips: 3 + Math.floor(random() * 6),
        durationMs: Math.round(p99 * 1000),
      });
    }
  }
  for (const d of deployments) {
    logs.push({ time: new Date(d.time * 1000).toISOString(), level: 'info', service: 'checkout', msg: 'deployment started', revision: d.revision });
  }
  logs.sort((a, b) => a.time.localeCompare(b.time));
  const openMetrics = [
    '# TYPE checkout_latency_p99_seconds gauge',
    '# UNIT checkout_latency_p99_seconds seconds',
    '# HELP checkout_latency_p99_seconds 99th percentile latency of POST /cart/total.',
    ...latency,
    '# TYPE checkout_error_ratio gauge',
    '# HELP checkout_error_ratio Share of requests that failed.',
    ...errors,
    '# TYPE checkout_requests_per_second gauge',
    '# HELP checkout_requests_per_second Requests per second.',
    ...traffic,
    '# TYPE checkout_build_info gauge',
    '# HELP checkout_build_info The revision the checkout service runs.',
    ...build,
    '# EOF',
    '',
  ].join('\n');
  return { openMetrics, logs: logs.map((l) => JSON.stringify(l)).join('\n') + '\n' };
}
