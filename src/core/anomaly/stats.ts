/** Small numeric helpers shared by the detectors: tail probabilities and robust constants. */

/** MAD of a normal distribution is 0.6745 sigma; this turns a MAD into a sigma. */
export const madToSigma = 1.4826;

/** Mean absolute deviation of a normal distribution is 0.7979 sigma. */
export const meanAbsToSigma = 1.2533;

/**
 * Natural log of the upper tail Q(z) = P(Z > z) of a standard normal, accurate far into the tail
 * (where Q underflows) so that very surprising points stay ordered.
 */
export function logUpperTailExact(z: number): number {
  if (z < 5) return Math.log(0.5 * erfc(z / Math.SQRT2));
  // Asymptotic series: Q(z) ~ phi(z)/z * (1 - 1/z^2 + 3/z^4).
  const z2 = z * z;
  return -0.5 * z2 - Math.log(z * Math.sqrt(2 * Math.PI)) + Math.log(1 - 1 / z2 + 3 / (z2 * z2));
}

/** Complementary error function (Numerical Recipes' erfcc, relative error below 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/**
 * A surprise in [0, 1): with L = -log10(tail), L / (L + 5), so 0.5 is a one-in-100,000 tail,
 * 0.75 one in 10^15, and scores never saturate (rarer is always higher).
 */
export function tailToScore(logTail: number): number {
  const l = -logTail / Math.LN10;
  return l <= 0 ? 0 : l / (l + 5);
}

/** The tail a score stands for: the inverse of tailToScore, as a probability. */
export function scoreToTail(score: number): number {
  if (score <= 0) return 1;
  if (score >= 1) return 0;
  return Math.pow(10, (-5 * score) / (1 - score));
}

/**
 * One step of a streaming (frugal) median: move toward the target by a step proportional to the
 * estimate's own scale, so it follows a median, not a mean, and one outlier moves it little.
 * `scale` is the current spread; a share of the distance keeps it moving when the spread is 0.
 */
export function frugalStep(estimate: number, target: number, scale: number, rate: number): number {
  const d = target - estimate;
  const ad = d < 0 ? -d : d;
  let step = scale > 0.05 * ad ? scale : 0.05 * ad;
  step *= rate;
  if (step > ad) step = ad;
  return d > 0 ? estimate + step : d < 0 ? estimate - step : estimate;
}

const tableStep = 64;
const tableMax = 40;
const logTailTable = new Float64Array(tableMax * tableStep + 2);
for (let i = 0; i < logTailTable.length; i++) logTailTable[i] = logUpperTailExact(i / tableStep);

/**
 * logUpperTailExact by table and linear interpolation (error below 1e-4 in log units), because
 * every method of every point needs one and exp/log dominate the per-point cost otherwise.
 */
export function logUpperTail(z: number): number {
  if (z <= 0) return z === 0 ? logTailTable[0]! : logUpperTailExact(z);
  if (z >= tableMax) return logUpperTailExact(z);
  const x = z * tableStep;
  const i = x | 0;
  const f = x - i;
  return logTailTable[i]! + f * (logTailTable[i + 1]! - logTailTable[i]!);
}

/**
 * The hour of the day (UTC) of a Unix-second time, remembering the current hour's bounds so
 * consecutive points of one hour cost a comparison instead of two modulos and a division.
 */
export class HourOfDay {
  hour = 0;
  private from = Number.POSITIVE_INFINITY;
  private to = Number.NEGATIVE_INFINITY;

  of(time: number): number {
    if (time >= this.from && time < this.to) return this.hour;
    const hourNumber = Math.floor(time / 3600);
    this.from = hourNumber * 3600;
    this.to = this.from + 3600;
    this.hour = ((hourNumber % 24) + 24) % 24;
    return this.hour;
  }
}
