import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';

export interface RarityConfig {
  /** Points used to learn the value range that sets the bin width (they are not counted). */
  readonly learnPoints: number;
  /** Bins across the learnt range; values beyond it get bins of the same width, up to `overflowBins` each side. */
  readonly bins: number;
  /** Counts are halved once the histogram holds this many points, so old behaviour fades. */
  readonly memoryPoints: number;
}

export const defaultRarityConfig: RarityConfig = { learnPoints: 300, bins: 8, memoryPoints: 1e9 };

const overflowBins = 40;
/** ln(j / 2) for small j: ln(count + 0.5) and ln(total + 1) of every point, without Math.log while counts are small. */
const halfLogs = new Float64Array(8192);
for (let j = 0; j < halfLogs.length; j++) halfLogs[j] = Math.log(j / 2);
const tableCounts = halfLogs.length / 2 - 1;

/**
 * How rare the value is in this series' own history: a histogram over bins learnt from the first
 * points, scored as the surprise -log p(bin). A value in a bin the series has rarely or never
 * visited (a new extreme, a level it never held) is surprising. O(1) per point, fixed memory.
 */
export class RarityDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'rarity';
  baseline = Number.NaN;
  spread = Number.NaN;
  private readonly radix: number;
  private readonly counts: Float64Array;
  private readonly learnPoints: number;
  private readonly bins: number;
  private readonly memoryPoints: number;
  private total = 0;
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private width = Number.NaN;
  private sum = 0;
  private n = 0;

  constructor(config: RarityConfig = defaultRarityConfig) {
    this.learnPoints = config.learnPoints;
    this.bins = config.bins;
    this.memoryPoints = config.memoryPoints;
    this.radix = config.bins + 2 * overflowBins + 1;
    this.counts = new Float64Array(this.radix);
  }

  update(_time: number, x: number): number {
    if (this.n < this.learnPoints) {
      this.learn(x);
      return Number.NaN;
    }
    this.baseline = this.lo + (this.hi - this.lo) / 2;
    this.spread = this.width;
    return this.score(x);
  }

  private learn(x: number): void {
    const n = ++this.n;
    this.sum += x;
    if (x < this.lo) this.lo = x;
    if (x > this.hi) this.hi = x;
    this.baseline = this.sum / n;
    this.spread = (this.hi - this.lo) / 4;
    if (n === this.learnPoints) {
      this.width = this.hi > this.lo ? (this.hi - this.lo) / this.bins : Math.abs(this.hi) * 1e-6 + 1e-12;
    }
  }

  /** Surprise of x's bin, then counts it. */
  private score(x: number): number {
    let b = Math.floor((x - this.lo) / this.width) + overflowBins;
    const last = this.radix - 1;
    b = b >= 0 ? (b <= last ? b : last) : 0;
    const counts = this.counts;
    const c = counts[b]!;
    const total = this.total;
    // -log((c + 0.5) / (total + 1)); both logs from the table while the counts are small.
    const lc = c < tableCounts && c === (c | 0) ? halfLogs[2 * c + 1]! : Math.log(c + 0.5);
    const lt = total < tableCounts && total === (total | 0) ? halfLogs[2 * total + 2]! : Math.log(total + 1);
    counts[b] = c + 1;
    this.total = total + 1;
    if (this.total > this.memoryPoints) this.halve();
    return lt - lc;
  }

  private halve(): void {
    let total = 0;
    const counts = this.counts;
    for (let k = 0; k < counts.length; k++) total += counts[k] = counts[k]! / 2;
    this.total = total;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    let i = from;
    for (; i < to && this.n < this.learnPoints; i++) out[i] = this.update(times[i]!, values[i]!);
    if (i >= to) return;
    for (; i < to; i++) out[i] = this.score(values[i]!);
    this.baseline = this.lo + (this.hi - this.lo) / 2;
    this.spread = this.width;
  }

  saveState(): DetectorState {
    return {
      kind: 'rarity',
      version: 2,
      counts: encodeArray(this.counts),
      total: this.total,
      lo: encodeNumber(this.lo),
      hi: encodeNumber(this.hi),
      width: encodeNumber(this.width),
      sum: this.sum,
      n: this.n,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'rarity', 2);
    decodeInto(this.counts, state['counts'], 'rarity counts');
    this.total = decodeNumber(state['total']);
    const lo = decodeNumber(state['lo']);
    const hi = decodeNumber(state['hi']);
    this.lo = Number.isNaN(lo) ? Number.POSITIVE_INFINITY : lo;
    this.hi = Number.isNaN(hi) ? Number.NEGATIVE_INFINITY : hi;
    this.width = decodeNumber(state['width']);
    this.sum = decodeNumber(state['sum']);
    this.n = decodeNumber(state['n']);
  }
}
