import type { ComponentDetector, ComponentMethod } from './component';
import type { DetectorState } from './state';
import { decodeInto, decodeNumber, encodeArray, expectVersion } from './state';

export interface SpectralResidualConfig {
  /** FFT size (a power of two): recent points plus the extrapolated ones. */
  readonly window: number;
  /** Points appended by extrapolation so the newest real point is not at the window's edge. */
  readonly extrapolate: number;
  /** Width of the moving average that smooths the log spectrum. */
  readonly smoothing: number;
}

export const defaultSpectralResidualConfig: SpectralResidualConfig = { window: 32, extrapolate: 5, smoothing: 3 };

/**
 * Spectral residual saliency (Ren et al., "Time-Series Anomaly Detection Service at Microsoft",
 * KDD 2019), streaming: over the recent points plus a few extrapolated ones, the log amplitude
 * spectrum less its local average is the "residual"; transformed back with the original phases it
 * highlights the points that do not fit the series' usual shape. The newest point's saliency
 * relative to the window's mean saliency is its raw score. O(window log window) per point, so it
 * is not in the default ensemble (see docs/anomaly.md).
 */
export class SpectralResidualDetector implements ComponentDetector {
  readonly method: ComponentMethod = 'spectralResidual';
  baseline = Number.NaN;
  spread = Number.NaN;
  private readonly recent: Float64Array;
  private head = 0;
  private filled = 0;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private readonly logAmp: Float64Array;
  private readonly real: number;

  constructor(private readonly config: SpectralResidualConfig = defaultSpectralResidualConfig) {
    const w = config.window;
    if (w < 8 || (w & (w - 1)) !== 0) throw new RangeError('spectral residual window must be a power of two >= 8');
    this.real = w - config.extrapolate;
    this.recent = new Float64Array(this.real);
    this.re = new Float64Array(w);
    this.im = new Float64Array(w);
    this.logAmp = new Float64Array(w);
  }

  update(_time: number, x: number): number {
    const m = this.real;
    this.recent[this.head] = x;
    this.head = (this.head + 1) % m;
    if (this.filled < m) this.filled++;
    if (this.filled < m) return Number.NaN;
    const { window: w, extrapolate, smoothing } = this.config;
    const re = this.re;
    const im = this.im;
    let mean = 0;
    for (let i = 0; i < m; i++) {
      re[i] = this.recent[(this.head + i) % m]!;
      im[i] = 0;
      mean += re[i]!;
    }
    mean /= m;
    // Extrapolate with the average slope from the newest point to the few before it.
    const last = re[m - 1]!;
    let slope = 0;
    const lookBack = Math.min(5, m - 1);
    for (let i = 1; i <= lookBack; i++) slope += (last - re[m - 1 - i]!) / i;
    slope /= lookBack;
    for (let i = 0; i < extrapolate; i++) {
      re[m + i] = last + slope * (i + 1);
      im[m + i] = 0;
    }
    for (let i = 0; i < w; i++) re[i] = re[i]! - mean;
    fft(re, im, false);
    const logAmp = this.logAmp;
    for (let i = 0; i < w; i++) logAmp[i] = Math.log(Math.hypot(re[i]!, im[i]!) + 1e-12);
    const half = smoothing >> 1;
    for (let i = 0; i < w; i++) {
      let s = 0;
      for (let j = -half; j <= half; j++) s += logAmp[(i + j + w) % w]!;
      const residual = logAmp[i]! - s / (2 * half + 1);
      const amp = Math.hypot(re[i]!, im[i]!);
      // Keep the phase, replace the amplitude by exp(residual).
      const scale = amp > 0 ? Math.exp(residual) / amp : 0;
      re[i] = re[i]! * scale;
      im[i] = im[i]! * scale;
    }
    fft(re, im, true);
    let meanSaliency = 0;
    for (let i = 0; i < m; i++) meanSaliency += Math.hypot(re[i]!, im[i]!);
    meanSaliency /= m;
    const saliency = Math.hypot(re[m - 1]!, im[m - 1]!);
    this.baseline = mean;
    this.spread = Number.NaN;
    return meanSaliency > 0 ? Math.max(0, (saliency - meanSaliency) / meanSaliency) : 0;
  }

  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from: number, to: number): void {
    for (let i = from; i < to; i++) out[i] = this.update(times[i]!, values[i]!);
  }

  saveState(): DetectorState {
    return { kind: 'spectralResidual', version: 1, recent: encodeArray(this.recent), head: this.head, filled: this.filled };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'spectralResidual', 1);
    decodeInto(this.recent, state['recent'], 'spectral residual window');
    this.head = decodeNumber(state['head']);
    this.filled = decodeNumber(state['filled']);
  }
}

/** In-place iterative radix-2 FFT; the inverse is scaled by 1/n. */
export function fft(re: Float64Array, im: Float64Array, inverse: boolean): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      let t = re[i]!;
      re[i] = re[j]!;
      re[j] = t;
      t = im[i]!;
      im[i] = im[j]!;
      im[j] = t;
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const angle = ((inverse ? 2 : -2) * Math.PI) / len;
    const wr = Math.cos(angle);
    const wi = Math.sin(angle);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let j = 0; j < len >> 1; j++) {
        const a = i + j;
        const b = a + (len >> 1);
        const xr = re[b]! * cr - im[b]! * ci;
        const xi = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - xr;
        im[b] = im[a]! - xi;
        re[a] = re[a]! + xr;
        im[a] = im[a]! + xi;
        const nr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = nr;
      }
    }
  }
  if (inverse) {
    for (let i = 0; i < n; i++) {
      re[i] = re[i]! / n;
      im[i] = im[i]! / n;
    }
  }
}
