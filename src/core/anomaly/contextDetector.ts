import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, encodeNumber, expectVersion } from './state';

export interface ContextConfig {
  /** Points used to learn the value range before contexts are counted. */
  readonly learnPoints: number;
  /** Number of value bins across the learnt range (values outside get bins of their own). */
  readonly bins: number;
  /** Memory bound: when more contexts than this are known, the oldest knowledge is halved. */
  readonly maxContexts: number;
  /** Longest context, in preceding points. */
  readonly maxOrder: number;
}

export const defaultContextConfig: ContextConfig = { learnPoints: 150, bins: 12, maxContexts: 4096, maxOrder: 2 };

/** Bins beyond the learnt range on each side; values further out share the last one. */
const overflowBins = 40;
/** Keys of different context orders never collide: radix^4 stays below this. */
const orderStride = 2 ** 30;

/**
 * A contextual detector in the spirit of CAD OSE: values are quantised into bins learnt from the
 * first points, and each point is scored by how unexpected its bin is after the two bins before
 * it (a conditional surprise from context counts) plus how rare its bin is overall. New contexts
 * (a shape never seen) score high even when each value alone is ordinary.
 */
export class ContextDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'context';
  baseline = Number.NaN;
  spread = Number.NaN;
  private counts = new Map<number, number>();
  private lo = Number.POSITIVE_INFINITY;
  private hi = Number.NEGATIVE_INFINITY;
  private width = Number.NaN;
  /** The last bins, newest first. */
  private readonly history: Float64Array;
  private filled = 0;
  private n = 0;
  private sum = 0;
  private readonly radix: number;

  constructor(private readonly config: ContextConfig = defaultContextConfig) {
    this.radix = config.bins + 2 * overflowBins + 1;
    this.history = new Float64Array(Math.max(1, config.maxOrder));
  }

  update(_time: number, x: number): number {
    const { learnPoints, bins } = this.config;
    this.n++;
    this.sum += x;
    if (this.n <= learnPoints) {
      if (x < this.lo) this.lo = x;
      if (x > this.hi) this.hi = x;
      this.baseline = this.sum / this.n;
      this.spread = (this.hi - this.lo) / 4;
      if (this.n === learnPoints) this.width = this.hi > this.lo ? (this.hi - this.lo) / bins : Math.abs(this.hi) * 1e-6 + 1e-12;
      return Number.NaN;
    }
    let b = Math.floor((x - this.lo) / this.width) + overflowBins;
    if (b < 0) b = 0;
    else if (b >= this.radix) b = this.radix - 1;
    this.baseline = this.lo + (this.hi - this.lo) / 2;
    this.spread = this.width;

    const r = this.radix;
    const known = this.n - learnPoints;
    const valueKey = -1 - b;
    const valueCount = this.counts.get(valueKey) ?? 0;
    let raw = -Math.log((valueCount + 0.5) / (known + 1));
    this.counts.set(valueKey, valueCount + 1);
    // Orders 1..maxOrder: how unexpected this bin is after the last k bins.
    let prefix = 0;
    const history = this.history;
    for (let k = 1; k <= this.config.maxOrder && k <= this.filled; k++) {
      prefix = prefix * r + history[k - 1]!;
      const base = k * orderStride;
      const prefixKey = -(base + prefix * r + r) - r;
      const contextKey = base + prefix * r + b;
      const prefixCount = this.counts.get(prefixKey) ?? 0;
      const contextCount = this.counts.get(contextKey) ?? 0;
      raw += -Math.log((contextCount + 0.5) / (prefixCount + 1));
      this.counts.set(prefixKey, prefixCount + 1);
      this.counts.set(contextKey, contextCount + 1);
    }
    if (this.counts.size > this.config.maxContexts) this.forget();
    for (let k = history.length - 1; k > 0; k--) history[k] = history[k - 1]!;
    history[0] = b;
    if (this.filled < history.length) this.filled++;
    return raw;
  }

  /** Halves every count and drops those that reach zero: old contexts fade, memory stays bounded. */
  private forget(): void {
    for (const [k, c] of this.counts) {
      const h = Math.floor(c / 2);
      if (h === 0) this.counts.delete(k);
      else this.counts.set(k, h);
    }
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    const keys: number[] = [];
    const values: number[] = [];
    for (const [k, c] of this.counts) {
      keys.push(k);
      values.push(c);
    }
    return {
      kind: 'context',
      version: 1,
      lo: encodeNumber(this.lo),
      hi: encodeNumber(this.hi),
      width: encodeNumber(this.width),
      history: encodeArray(this.history),
      filled: this.filled,
      n: this.n,
      sum: this.sum,
      keys,
      counts: values,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'context', 1);
    const lo = decodeNumber(state['lo']);
    const hi = decodeNumber(state['hi']);
    this.lo = Number.isNaN(lo) ? Number.POSITIVE_INFINITY : lo;
    this.hi = Number.isNaN(hi) ? Number.NEGATIVE_INFINITY : hi;
    this.width = decodeNumber(state['width']);
    decodeInto(this.history, state['history'], 'context history');
    this.filled = decodeNumber(state['filled']);
    this.n = decodeNumber(state['n']);
    this.sum = decodeNumber(state['sum']);
    const keys = state['keys'];
    const counts = state['counts'];
    this.counts = new Map();
    if (Array.isArray(keys) && Array.isArray(counts)) {
      for (let i = 0; i < keys.length; i++) this.counts.set(keys[i] as number, counts[i] as number);
    }
  }
}
