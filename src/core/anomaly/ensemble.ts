import { ChangePointDetector, defaultChangePointConfig, type ChangePointConfig } from './changePointDetector';
import type { AnomalyMethod, ComponentDetector } from './component';
import { ContextDetector, defaultContextConfig, type ContextConfig } from './contextDetector';
import { ExtremeDetector, defaultExtremeConfig, type ExtremeConfig } from './extremeDetector';
import { RarityDetector, defaultRarityConfig, type RarityConfig } from './rarityDetector';
import { LevelDetector, defaultLevelConfig, type LevelConfig } from './levelDetector';
import { AnomalyLikelihood, defaultLikelihoodConfig, type LikelihoodConfig } from './likelihood';
import { SeasonalDetector, defaultSeasonalConfig, type SeasonalConfig } from './seasonalDetector';
import type { DetectorState, StateValue } from './state';
import { decodeNumber, expectVersion } from './state';

export interface EnsembleConfig {
  readonly methods: readonly AnomalyMethod[];
  /** Per-method weight on the calibrated score before the ensemble takes the strongest. */
  readonly weights: Partial<Record<AnomalyMethod, number>>;
  readonly level: LevelConfig;
  readonly seasonal: SeasonalConfig;
  readonly changePoint: ChangePointConfig;
  readonly context: ContextConfig;
  readonly extreme: ExtremeConfig;
  readonly rarity: RarityConfig;
  readonly likelihood: LikelihoodConfig;
  /**
   * After a point scores at least `alarmLevel`, later points in the next `quietPoints` are scaled
   * by `quietFactor` unless they beat the alarm's own score: one event, one alarm.
   */
  readonly alarmLevel: number;
  readonly quietPoints: number;
  /** The quiet period grows with the history seen: quietShare of the points so far, at least quietMin, at most quietPoints. */
  readonly quietShare: number;
  readonly quietMin: number;
  /** Points at the start of a series that only teach: every method needs some history first. */
  readonly learningPoints: number;
  readonly quietFactor: number;
  /** How calibrated scores combine: the strongest one, or the summed evidence (-log tails) of all. */
  readonly combine: 'max' | 'sum';
  /** Under 'sum', one method adds at most this much evidence (decimal digits of tail). */
  readonly evidenceCap: number;
  /** During the quiet period a point may still alarm when it beats the alarm's score. */
  readonly quietBeats: boolean;
  /** A point that would have alarmed during the quiet period restarts it: one long episode, one alarm. */
  readonly quietExtends: boolean;
}

export const defaultEnsembleConfig: EnsembleConfig = {
  methods: ['seasonal', 'level', 'changePoint', 'rarity'],
  weights: { rarity: 2 },
  level: defaultLevelConfig,
  seasonal: defaultSeasonalConfig,
  changePoint: defaultChangePointConfig,
  context: defaultContextConfig,
  extreme: defaultExtremeConfig,
  rarity: defaultRarityConfig,
  likelihood: defaultLikelihoodConfig,
  alarmLevel: 0.3,
  quietPoints: 150,
  learningPoints: 0,
  quietShare: 0.03,
  quietMin: 30,
  quietFactor: 0,
  combine: 'sum',
  evidenceCap: 8,
  quietBeats: false,
  quietExtends: false,
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
      throw new Error('spectral residual is created by the caller');
  }
}

/**
 * The default streaming ensemble: every method scores the point, each score is calibrated by its
 * own anomaly likelihood, and the strongest calibrated evidence wins (so the explanation can name
 * one method). O(1) per point, bounded memory.
 */
export class EnsembleDetector {
  readonly components: ComponentDetector[];
  readonly likelihoods: AnomalyLikelihood[];
  private readonly weights: Float64Array;
  /** Calibrated score of each method for the last point. */
  readonly lastScores: Float64Array;
  /** Index into `components` of the method that scored the last point highest. */
  lastWinner = -1;
  private seen = 0;
  private sinceAlarm = Number.POSITIVE_INFINITY;
  private alarmScore = 0;
  private lastTime = Number.NEGATIVE_INFINITY;

  constructor(readonly config: EnsembleConfig = defaultEnsembleConfig, extra: readonly ComponentDetector[] = []) {
    this.components = config.methods.filter((m) => m !== 'spectralResidual').map((m) => createComponent(m, config));
    this.components.push(...extra);
    this.likelihoods = this.components.map(() => new AnomalyLikelihood(config.likelihood));
    this.weights = Float64Array.from(this.components.map((c) => config.weights[c.method] ?? 1));
    this.lastScores = new Float64Array(this.components.length);
  }

  /** Scores one point in [0, 1] from it and the points before it, then learns it. */
  update(time: number, value: number): number {
    // A gap (NaN) or a point out of order teaches nothing and raises no alarm.
    if (value !== value || !Number.isFinite(value) || time !== time || time < this.lastTime) {
      this.lastScores.fill(0);
      this.lastWinner = -1;
      return 0;
    }
    this.lastTime = time;
    let best = 0;
    let winner = -1;
    const n = this.components.length;
    for (let k = 0; k < n; k++) {
      const raw = this.components[k]!.update(time, value);
      const s = this.likelihoods[k]!.update(raw) * this.weights[k]!;
      this.lastScores[k] = s;
      if (s > best) {
        best = s;
        winner = k;
      }
    }
    this.lastWinner = winner;
    if (this.config.combine === 'sum') {
      let evidence = 0;
      const cap = this.config.evidenceCap;
      for (let k = 0; k < n; k++) {
        const e = (-this.likelihoods[k]!.lastLogTail / Math.LN10) * this.weights[k]!;
        evidence += e < cap ? e : cap;
      }
      best = evidence / (evidence + 5 * n);
    }
    if (best > 1) best = 1;
    return this.quiet(best);
  }

  private quiet(score: number): number {
    const { alarmLevel, quietPoints, quietFactor } = this.config;
    if (++this.seen <= this.config.learningPoints) return 0;
    if (quietPoints <= 0) return score;
    this.sinceAlarm++;
    let out = score;
    const quietFor = Math.min(quietPoints, Math.max(this.config.quietMin, this.config.quietShare * this.seen));
    if (this.sinceAlarm <= quietFor && (!this.config.quietBeats || score <= this.alarmScore)) out = score * quietFactor;
    if (out >= alarmLevel || (this.config.quietExtends && score >= alarmLevel)) {
      this.sinceAlarm = 0;
      this.alarmScore = score;
    }
    return out;
  }

  saveState(): DetectorState {
    return {
      kind: 'ensemble',
      version: 1,
      methods: this.components.map((c) => c.method),
      components: this.components.map((c) => c.saveState()),
      likelihoods: this.likelihoods.map((l) => l.saveState()),
      sinceAlarm: Number.isFinite(this.sinceAlarm) ? this.sinceAlarm : null,
      alarmScore: this.alarmScore,
      seen: this.seen,
      lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'ensemble', 1);
    const comps = state['components'] as StateValue[] | undefined;
    const liks = state['likelihoods'] as StateValue[] | undefined;
    const methods = state['methods'] as StateValue[] | undefined;
    if (!Array.isArray(comps) || !Array.isArray(liks) || !Array.isArray(methods) || comps.length !== this.components.length || methods.some((m, i) => m !== this.components[i]!.method)) {
      expectVersion({ kind: 'ensemble(other methods)', version: 0 }, 'ensemble', 1);
      return;
    }
    this.components.forEach((c, i) => c.restoreState(comps[i] as DetectorState));
    this.likelihoods.forEach((l, i) => l.restoreState(liks[i] as DetectorState));
    const since = decodeNumber(state['sinceAlarm']);
    this.sinceAlarm = Number.isNaN(since) ? Number.POSITIVE_INFINITY : since;
    this.alarmScore = decodeNumber(state['alarmScore']);
    this.seen = decodeNumber(state['seen']);
    const last = decodeNumber(state['lastTime']);
    this.lastTime = Number.isNaN(last) ? Number.NEGATIVE_INFINITY : last;
  }
}
