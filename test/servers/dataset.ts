/**
 * Raw telemetry the local API servers answer from: series of (time, value) samples with
 * labels, and log-like events for Splunk. Generated deterministically from a seed.
 */
import { seededRandom } from './testServer';

export interface RawSeries {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly times: readonly number[];
  readonly values: readonly number[];
}

export interface RawEvent {
  readonly time: number;
  readonly fields: Readonly<Record<string, string | number>>;
}

/** A latency-like series per service, every `step` seconds over [start, start + duration). */
export function latencySeries(start: number, duration: number, step: number, services: readonly string[], seed = 1, name = 'latency'): RawSeries[] {
  const random = seededRandom(seed);
  return services.map((service, k) => {
    const times: number[] = [];
    const values: number[] = [];
    for (let t = start, i = 0; t < start + duration; t += step, i++) {
      times.push(t);
      // Four decimals: exact in text, so what a server prints is what a client must read.
      values.push(Math.round((0.2 + 0.05 * k + 0.02 * Math.sin(i / 40) + 0.01 * random()) * 1e4) / 1e4);
    }
    return { name, labels: { service, host: `${service}-1` }, times, values };
  });
}

/** Request events (one per `every` seconds per service) with a latency field. */
export function requestEvents(start: number, duration: number, every: number, services: readonly string[], seed = 2): RawEvent[] {
  const random = seededRandom(seed);
  const events: RawEvent[] = [];
  for (let t = start; t < start + duration; t += every) {
    for (const service of services) events.push({ time: t, fields: { service, latency: Math.round((0.1 + random() * 0.3) * 1000) / 1000, status: random() < 0.05 ? 500 : 200 } });
  }
  return events;
}

/** Samples of `series` in [from, to]. */
export function samplesIn(series: RawSeries, from: number, to: number): { times: number[]; values: number[] } {
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 0; i < series.times.length; i++) {
    const t = series.times[i]!;
    if (t >= from && t <= to) {
      times.push(t);
      values.push(series.values[i]!);
    }
  }
  return { times, values };
}

export function aggregate(values: readonly number[], how: string): number {
  if (values.length === 0) return NaN;
  switch (how) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'max':
      return Math.max(...values);
    case 'min':
      return Math.min(...values);
    case 'count':
      return values.length;
    default:
      return values.reduce((a, b) => a + b, 0) / values.length;
  }
}
