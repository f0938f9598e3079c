import type { AnomalyMethod, ComponentDetector } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';

export interface RarityConfig {
  /** Points used to learn the value range that sets the bin width. */
  readonly learnPoints: number;
  /** Bins across the learnt range; values beyond it get bins of the same width, up to `overflowBins` each side. */
  readonly bins: number;
  /** Weight of the rarity of the step from the previous value (0: off). */
  readonly stepWeight: number;
  /** Weight of the rarity of the recent level, an EWMA of the values (0: off). */
  readonly levelWeight: number;
  /** Smoothing of that recent level. */
  readonly levelRate: number;
  /** Counts are halved once a histogram holds this many points, so old behaviour fades. */
  readonly memoryPoints: number;
}

export const defaultRarityConfig: RarityConfig = { learnPoints: 150, bins: 8, stepWeight: 0, levelWeight: 0, levelRate: 0.3, memoryPoints: 1e9 };

const overflowBins = 40;

/**
 * How rare the value is in this series' own history: a histogram over bins learnt from the first
 * points, scored as the surprise -log p(bin). A value in a bin the series has rarely or never
 * visited (a new extreme, a level it never held) is surprising; optionally so are the step from
 * the previous value and the recent level. O(1) per point, fixed memory.
 */
export class RarityDetector implements ComponentDetector {
  readonly method: AnomalyMethod = 'rarity';
  baseline = Number.NaN;
  spread = Number.NaN;
  private readonly radix: number;
  private readonly valueCounts: Float64Array;
  private readonly stepCounts: Float64Array;
  private readonly levelCounts: Float64Array;
  private valueTotal = 0;
  private stepTotal = 0;
  private levelTotal = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private width = Number.NaN;
  private stepScale = 0;
  private previous = Number.NaN;
  private level = Number.NaN;
  private sum = 0;
  private n = 0;

  constructor(private readonly config: RarityConfig = defaultRarityConfig) {
    this.radix = config.bins + 2 * overflowBins + 1;
    this.valueCounts = new Float64Array(this.radix);
    this.stepCounts = new Float64Array(this.radix);
    this.levelCounts = new Float64Array(this.radix);
  }

  update(_time: number, x: number): number {
    const { learnPoints, bins, stepWeight, levelWeight, levelRate } = this.config;
    this.n++;
    this.sum += x;
    const step = this.n > 1 ? x - this.previous : 0;
    this.previous = x;
    this.level = this.n > 1 ? this.level + levelRate * (x - this.level) : x;
    if (this.n <= learnPoints) {
      if (x < this.lo) this.lo = x;
      if (x > this.hi) this.hi = x;
      this.stepScale += Math.abs(step);
      this.baseline = this.sum / this.n;
      this.spread = (this.hi - this.lo) / 4;
      if (this.n === learnPoints) {
        this.width = this.hi > this.lo ? (this.hi - this.lo) / bins : Math.abs(this.hi) * 1e-6 + 1e-12;
        this.stepScale = this.stepScale > 0 ? (4 * this.stepScale) / learnPoints / bins : this.width;
      }
      return Number.NaN;
    }
    this.baseline = this.lo + (this.hi - this.lo) / 2;
    this.spread = this.width;
    let raw = this.surprise(this.valueCounts, this.valueTotal, this.bin(x, this.lo, this.width));
    this.valueTotal = this.learn(this.valueCounts, this.valueTotal, this.bin(x, this.lo, this.width));
    if (stepWeight > 0) {
      const b = this.bin(step, -0.5 * bins * this.stepScale, this.stepScale);
      raw += stepWeight * this.surprise(this.stepCounts, this.stepTotal, b);
      this.stepTotal = this.learn(this.stepCounts, this.stepTotal, b);
    }
    if (levelWeight > 0) {
      const b = this.bin(this.level, this.lo, this.width);
      raw += levelWeight * this.surprise(this.levelCounts, this.levelTotal, b);
      this.levelTotal = this.learn(this.levelCounts, this.levelTotal, b);
    }
    return raw;
  }

  private bin(x: number, lo: number, width: number): number {
    const b = Math.floor((x - lo) / width) + overflowBins;
    return b < 0 ? 0 : b >= this.radix ? this.radix - 1 : b;
  }

  private surprise(counts: Float64Array, total: number, b: number): number {
    return -Math.log((counts[b]! + 0.5) / (total + 1));
  }

  private learn(counts: Float64Array, total: number, b: number): number {
    counts[b]! += 1;
    total += 1;
    if (total > this.config.memoryPoints) {
      total = 0;
      for (let k = 0; k < counts.length; k++) total += counts[k] = counts[k]! / 2;
    }
    return total;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return {
      kind: 'rarity',
      version: 1,
      valueCounts: encodeArray(this.valueCounts),
      stepCounts: encodeArray(this.stepCounts),
      levelCounts: encodeArray(this.levelCounts),
      totals: [this.valueTotal, this.stepTotal, this.levelTotal],
      lo: encodeNumber(this.lo),
      hi: encodeNumber(this.hi),
      width: encodeNumber(this.width),
      stepScale: this.stepScale,
      previous: encodeNumber(this.previous),
      level: encodeNumber(this.level),
      sum: this.sum,
      n: this.n,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'rarity', 1);
    decodeInto(this.valueCounts, state['valueCounts'], 'rarity values');
    decodeInto(this.stepCounts, state['stepCounts'], 'rarity steps');
    decodeInto(this.levelCounts, state['levelCounts'], 'rarity levels');
    const totals = Array.isArray(state['totals']) ? state['totals'] : [];
    this.valueTotal = decodeNumber(totals[0]);
    this.stepTotal = decodeNumber(totals[1]);
    this.levelTotal = decodeNumber(totals[2]);
    const lo = decodeNumber(state['lo']);
    const hi = decodeNumber(state['hi']);
    this.lo = Number.isNaN(lo) ? Number.POSITIVE_INFINITY : lo;
    this.hi = Number.isNaN(hi) ? Number.NEGATIVE_INFINITY : hi;
    this.width = decodeNumber(state['width']);
    this.stepScale = decodeNumber(state['stepScale']);
    this.previous = decodeNumber(state['previous']);
    this.level = decodeNumber(state['level']);
    this.sum = decodeNumber(state['sum']);
    this.n = decodeNumber(state['n']);
  }
}
