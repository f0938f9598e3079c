import { ChangePointDetector, defaultChangePointConfig, type ChangePointConfig } from './changePointDetector';
import type { AnomalyMethod, ComponentDetector } from './component';
import { ContextDetector, defaultContextConfig, type ContextConfig } from './contextDetector';
import { ExtremeDetector, defaultExtremeConfig, type ExtremeConfig } from './extremeDetector';
import { LevelDetector, defaultLevelConfig, type LevelConfig } from './levelDetector';
import { AnomalyLikelihood, defaultLikelihoodConfig, type LikelihoodConfig } from './likelihood';
import { RarityDetector, defaultRarityConfig, type RarityConfig } from './rarityDetector';
import { SeasonalDetector, defaultSeasonalConfig, type SeasonalConfig } from './seasonalDetector';
import { SpectralResidualDetector, defaultSpectralResidualConfig, type SpectralResidualConfig } from './spectralResidual';
import type { DetectorState, StateValue } from './state';
import { decodeNumber, expectVersion } from './state';
import { tailToScore } from './stats';

export interface EnsembleConfig {
  readonly methods: readonly AnomalyMethod[];
  /** Per-method weight on its calibrated evidence. */
  readonly weights: Partial<Record<AnomalyMethod, number>>;
  readonly level: LevelConfig;
  readonly seasonal: SeasonalConfig;
  readonly changePoint: ChangePointConfig;
  readonly context: ContextConfig;
  readonly rarity: RarityConfig;
  readonly extreme: ExtremeConfig;
  readonly spectralResidual: SpectralResidualConfig;
  readonly likelihood: LikelihoodConfig;
  /** Per-method changes to the likelihood (a method that sees one-point events averages less). */
  readonly likelihoodFor: Partial<Record<AnomalyMethod, Partial<LikelihoodConfig>>>;
  /**
   * How calibrated evidence combines: 'sum' adds every method's evidence (decimal digits of tail
   * probability, each capped at evidenceCap) so agreement counts; 'max' takes the strongest.
   */
  readonly combine: 'sum' | 'max';
  readonly evidenceCap: number;
  /** A point whose score reaches this raises an alarm (the sensitivity setting moves it). */
  readonly alarmLevel: number;
  /**
   * After an alarm the next points are quiet (score 0): one event, one alarm. The quiet period is
   * quietShare of the points seen so far, at least quietMin and at most quietMax points.
   */
  readonly quietShare: number;
  readonly quietMin: number;
  readonly quietMax: number;
}

export const defaultEnsembleConfig: EnsembleConfig = {
  methods: ['seasonal', 'level', 'changePoint', 'rarity', 'extreme'],
  weights: { rarity: 2 },
  level: defaultLevelConfig,
  seasonal: defaultSeasonalConfig,
  changePoint: defaultChangePointConfig,
  context: defaultContextConfig,
  rarity: defaultRarityConfig,
  extreme: defaultExtremeConfig,
  spectralResidual: defaultSpectralResidualConfig,
  likelihood: defaultLikelihoodConfig,
  // Records are single points: averaging them would hide the spike they are there to catch.
  likelihoodFor: { extreme: { shortWindow: 1 } },
  combine: 'sum',
  evidenceCap: 1000,
  alarmLevel: 0.25,
  quietShare: 0.03,
  quietMin: 30,
  quietMax: 150,
};

function createComponent(method: AnomalyMethod, config: EnsembleConfig): ComponentDetector {
  switch (method) {
    case 'seasonal':
      return new SeasonalDetector(config.seasonal);
    case 'level':
      return new LevelDetector(config.level);
    case 'changePoint':
      return new ChangePointDetector(config.changePoint);
    case 'context':
      return new ContextDetector(config.context);
    case 'rarity':
      return new RarityDetector(config.rarity);
    case 'extreme':
      return new ExtremeDetector(config.extreme);
    case 'spectralResidual':
      return new SpectralResidualDetector(config.spectralResidual);
  }
}

/** Points per batch chunk: the scratch arrays (2 per method) stay small per series. */
const chunkPoints = 512;

/**
 * The streaming ensemble: every method scores the point against what it learnt from earlier
 * points, each method's raw score is calibrated by its own anomaly likelihood, the evidence is
 * combined, and an alarm is followed by a quiet period. O(1) per point, bounded memory, and the
 * score of a point never depends on a later one.
 */
export class EnsembleDetector {
  readonly components: ComponentDetector[];
  private readonly likelihoods: AnomalyLikelihood[];
  private readonly weights: Float64Array;
  /** The ensemble's score of the last point before alarm gating: how anomalous it looks, 0..1. */
  lastStrength = 0;
  /** Index into `components` of the method with the most evidence for the last point, -1 for none. */
  lastWinner = -1;
  private seen = 0;
  private sinceAlarm = Number.POSITIVE_INFINITY;
  private lastTime = Number.NEGATIVE_INFINITY;
  private raw: Float64Array[] = [];
  // Config copied into fields: the per-point path reads them millions of times.
  private readonly sum: boolean;
  private readonly evidenceHalf: number;
  private readonly quietShare: number;
  private readonly quietMin: number;
  private readonly quietMax: number;
  private readonly alarmLevel: number;
  private tails: Float64Array[] = [];

  constructor(readonly config: EnsembleConfig = defaultEnsembleConfig) {
    this.components = config.methods.map((m) => createComponent(m, config));
    this.likelihoods = this.components.map((c) => new AnomalyLikelihood({ ...config.likelihood, ...config.likelihoodFor[c.method] }));
    this.sum = config.combine === 'sum';
    // Summed evidence of 5 decimal digits per method scores 0.5.
    this.evidenceHalf = 5 * this.components.length;
    this.quietShare = config.quietShare;
    this.quietMin = config.quietMin;
    this.quietMax = config.quietMax;
    this.alarmLevel = config.alarmLevel;
    // Weights in decimal digits per natural-log unit of tail probability.
    this.weights = Float64Array.from(this.components.map((c) => (config.weights[c.method] ?? 1) / Math.LN10));
  }

  get methods(): AnomalyMethod[] {
    return this.components.map((c) => c.method);
  }

  /** Scores one point in [0, 1] from it and the points before it, then learns it. */
  update(time: number, value: number): number {
    if (!this.accepts(time, value)) return this.gap();
    this.lastTime = time;
    const n = this.components.length;
    let evidence = 0;
    let strongest = 0;
    let winner = -1;
    for (let k = 0; k < n; k++) {
      const logTail = this.likelihoods[k]!.update(this.components[k]!.update(time, value));
      const e = this.evidenceOf(logTail, k);
      evidence += e;
      if (e > strongest) {
        strongest = e;
        winner = k;
      }
    }
    return this.finish(evidence, strongest, winner);
  }

  /**
   * update() over many points (times/values from..to-1), scores into `out`; `strength` and
   * `winner`, when given, receive lastStrength and lastWinner per point. Same results as calling
   * update() point by point, several times faster: each method runs its own tight loop.
   */
  updateBatch(times: Float64Array, values: Float64Array, out: Float64Array, from = 0, to = values.length, strength?: Float64Array, winner?: Int8Array): void {
    const n = this.components.length;
    for (let start = from; start < to; start += chunkPoints) {
      const end = Math.min(to, start + chunkPoints);
      let clean = true;
      let t = this.lastTime;
      for (let i = start; i < end; i++) {
        if (!this.acceptsAfter(t, times[i]!, values[i]!)) {
          clean = false;
          break;
        }
        t = times[i]!;
      }
      if (!clean) {
        // Gaps and out-of-order points are rare: take the careful path for this chunk.
        for (let i = start; i < end; i++) {
          out[i] = this.update(times[i]!, values[i]!);
          if (strength) strength[i] = this.lastStrength;
          if (winner) winner[i] = this.lastWinner;
        }
        continue;
      }
      this.lastTime = t;
      const size = end - start;
      if (this.raw.length !== n) {
        this.raw = this.components.map(() => new Float64Array(chunkPoints));
        this.tails = this.components.map(() => new Float64Array(chunkPoints));
      }
      for (let k = 0; k < n; k++) {
        const raw = this.raw[k]!;
        const tails = this.tails[k]!;
        // Shift indices so the scratch arrays start at 0 for this chunk.
        this.components[k]!.updateBatch(times.subarray(start, end), values.subarray(start, end), raw, 0, size);
        this.likelihoods[k]!.updateBatch(raw, tails, 0, size);
      }
      const tails = this.tails;
      const weights = this.weights;
      const cap = this.config.evidenceCap;
      for (let j = 0; j < size; j++) {
        let evidence = 0;
        let strongest = 0;
        let w = -1;
        for (let k = 0; k < n; k++) {
          let e = -tails[k]![j]! * weights[k]!;
          if (e > cap) e = cap;
          evidence += e;
          if (e > strongest) {
            strongest = e;
            w = k;
          }
        }
        out[start + j] = this.finish(evidence, strongest, w);
        if (strength) strength[start + j] = this.lastStrength;
        if (winner) winner[start + j] = w;
      }
    }
  }

  private accepts(time: number, value: number): boolean {
    return this.acceptsAfter(this.lastTime, time, value);
  }

  /** A gap (NaN), an infinite value or a point out of order teaches nothing and raises no alarm. */
  private acceptsAfter(lastTime: number, time: number, value: number): boolean {
    return value - value === 0 && time - time === 0 && time >= lastTime;
  }

  private gap(): number {
    this.lastStrength = 0;
    this.lastWinner = -1;
    return 0;
  }

  /** Decimal digits of tail probability a method contributes, weighted and capped. */
  private evidenceOf(logTail: number, k: number): number {
    const e = -logTail * this.weights[k]!;
    const cap = this.config.evidenceCap;
    return e < cap ? e : cap;
  }

  private finish(evidence: number, strongest: number, winner: number): number {
    const strength = this.sum ? evidence / (evidence + this.evidenceHalf) : tailToScore(-strongest * Math.LN10);
    this.lastStrength = strength;
    this.lastWinner = winner;
    const seen = ++this.seen;
    const since = ++this.sinceAlarm;
    let quietFor = this.quietShare * seen;
    if (quietFor < this.quietMin) quietFor = this.quietMin;
    if (quietFor > this.quietMax) quietFor = this.quietMax;
    if (since <= quietFor) return 0;
    if (strength >= this.alarmLevel) this.sinceAlarm = 0;
    return strength;
  }

  saveState(): DetectorState {
    return {
      kind: 'ensemble',
      version: 1,
      methods: this.methods,
      components: this.components.map((c) => c.saveState()),
      likelihoods: this.likelihoods.map((l) => l.saveState()),
      seen: this.seen,
      sinceAlarm: Number.isFinite(this.sinceAlarm) ? this.sinceAlarm : null,
      lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'ensemble', 1);
    const comps = state['components'] as StateValue[] | undefined;
    const liks = state['likelihoods'] as StateValue[] | undefined;
    const methods = state['methods'] as StateValue[] | undefined;
    if (!Array.isArray(comps) || !Array.isArray(liks) || !Array.isArray(methods) || comps.length !== this.components.length || methods.some((m, i) => m !== this.components[i]!.method)) {
      expectVersion({ kind: 'ensemble with other methods', version: 0 }, 'ensemble', 1);
      return;
    }
    this.components.forEach((c, i) => c.restoreState(comps[i] as DetectorState));
    this.likelihoods.forEach((l, i) => l.restoreState(liks[i] as DetectorState));
    this.seen = decodeNumber(state['seen']);
    const since = decodeNumber(state['sinceAlarm']);
    this.sinceAlarm = Number.isNaN(since) ? Number.POSITIVE_INFINITY : since;
    const last = decodeNumber(state['lastTime']);
    this.lastTime = Number.isNaN(last) ? Number.NEGATIVE_INFINITY : last;
  }
}
