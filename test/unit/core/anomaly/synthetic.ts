/**
 * Synthetic series for the anomaly tests: a daily rhythm plus noise, from a seeded generator so
 * every run sees the same numbers. Anomalies are injected where the test says.
 */

/** Park-Miller minimal standard generator: deterministic, enough for test data. */
export function seededRandom(seed: number): () => number {
  let s = seed % 2147483647;
  if (s <= 0) s += 2147483646;
  return () => {
    s = (s * 16807) % 2147483647;
    return (s - 1) / 2147483646;
  };
}

/** A standard normal draw (Box-Muller) from a uniform generator. */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

export interface SyntheticSeries {
  times: Float64Array;
  values: Float64Array;
}

/** Start of the synthetic series: a Monday, 2024-01-01 00:00 UTC. */
export const start = 1704067200;
export const stepSeconds = 300;
export const pointsPerDay = 86400 / stepSeconds;

export interface SyntheticOptions {
  readonly points: number;
  readonly seed?: number;
  readonly level?: number;
  /** Amplitude of the daily rhythm. */
  readonly daily?: number;
  /** Standard deviation of the noise. */
  readonly noise?: number;
}

export function seasonalSeries(options: SyntheticOptions): SyntheticSeries {
  const { points, seed = 7, level = 100, daily = 20, noise = 2 } = options;
  const random = seededRandom(seed);
  const times = new Float64Array(points);
  const values = new Float64Array(points);
  for (let i = 0; i < points; i++) {
    times[i] = start + i * stepSeconds;
    values[i] = level + daily * Math.sin((2 * Math.PI * i) / pointsPerDay) + noise * gaussian(random);
  }
  return { times, values };
}

export function scoresOf(update: (t: number, v: number) => number, s: SyntheticSeries): Float64Array {
  const out = new Float64Array(s.values.length);
  for (let i = 0; i < out.length; i++) out[i] = update(s.times[i]!, s.values[i]!);
  return out;
}

/** Highest score in [from, to). */
export function maxIn(scores: ArrayLike<number>, from: number, to: number): number {
  let m = -Infinity;
  for (let i = from; i < to; i++) m = Math.max(m, scores[i]!);
  return m;
}
