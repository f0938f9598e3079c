import { ChangePointDetector, defaultChangePointConfig, type ChangePointConfig } from './changePointDetector';
import type { ComponentDetector, ComponentMethod } from './component';
import { ContextDetector, defaultContextConfig, type ContextConfig } from './contextDetector';
import { LevelDetector, defaultLevelConfig, type LevelConfig } from './levelDetector';
import { AnomalyLikelihood, defaultLikelihoodConfig, type LikelihoodConfig } from './likelihood';
import { RarityDetector, defaultRarityConfig, type RarityConfig } from './rarityDetector';
import { SeasonalDetector, defaultSeasonalConfig, type SeasonalConfig } from './seasonalDetector';
import { SpectralResidualDetector, defaultSpectralResidualConfig, type SpectralResidualConfig } from './spectralResidual';
import type { DetectorState, StateValue } from './state';
import { decodeNumber, expectVersion } from './state';
import { tailToScore } from './stats';

export interface EnsembleConfig {
  readonly methods: readonly ComponentMethod[];
  /** Per-method weight on its calibrated evidence. */
  readonly weights: Partial<Record<ComponentMethod, number>>;
  readonly level: LevelConfig;
  readonly seasonal: SeasonalConfig;
  readonly changePoint: ChangePointConfig;
  readonly context: ContextConfig;
  readonly rarity: RarityConfig;
  readonly spectralResidual: SpectralResidualConfig;
  readonly likelihood: LikelihoodConfig;
  /** Per-method changes to the likelihood (a method that sees one-point events averages less). */
  readonly likelihoodFor: Partial<Record<ComponentMethod, Partial<LikelihoodConfig>>>;
  /**
   * Whether records (a new high or low, a deviation far past any recent one; the seasonal method
   * sees them) raise alarms: a record makes the point's strength at least `recordStrength`.
   */
  readonly records: boolean;
  readonly recordStrength: number;
  /**
   * How calibrated evidence combines: 'max' (the default) takes the most surprised method's
   * decimal digits of tail probability, d, and scores d / (d + 5); 'sum' adds every method's
   * digits (each capped at evidenceCap) and scores them against 5 per method. The seasonal and
   * rarity methods often see the same event: summing counted it twice (1 NAB point worse).
   */
  readonly combine: 'sum' | 'max';
  readonly evidenceCap: number;
  /**
   * A point whose score reaches this raises an alarm. 0.7, best for all three NAB profiles over
   * the corpus, is the default; the product's sensitivities set their own (detect.ts).
   */
  readonly alarmLevel: number;
  /**
   * After an alarm the next points are quiet (score 0): one event, one alarm. The quiet period is
   * quietShare of the points seen so far, at least quietMin and at most quietMax points.
   */
  readonly quietShare: number;
  readonly quietMin: number;
  readonly quietMax: number;
  /** No alarm before this many points have been seen (the methods are still learning the series). */
  readonly learnPoints: number;
  /**
   * An alarm also needs the point this many MADs away from its seasonal baseline (0: no such
   * condition); a point that is rare but closer scores just under the alarm level. The product's
   * sensitivity levels set it, so what is flagged is visibly off the usual; the NAB profiles do not.
   */
  readonly minDeviation: number;
}

export const defaultEnsembleConfig: EnsembleConfig = {
  methods: ['seasonal', 'rarity'],
  weights: { rarity: 2 },
  level: defaultLevelConfig,
  seasonal: defaultSeasonalConfig,
  changePoint: defaultChangePointConfig,
  context: defaultContextConfig,
  rarity: defaultRarityConfig,
  spectralResidual: defaultSpectralResidualConfig,
  likelihood: defaultLikelihoodConfig,
  likelihoodFor: {},
  records: true,
  recordStrength: 0.99,
  combine: 'max',
  evidenceCap: 1000,
  alarmLevel: 0.7,
  quietShare: 0.03,
  quietMin: 30,
  quietMax: 300,
  learnPoints: 0,
  minDeviation: 0,
};

function createComponent(method: ComponentMethod, config: EnsembleConfig): ComponentDetector {
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
    case 'spectralResidual':
      return new SpectralResidualDetector(config.spectralResidual);
  }
}

/** Points per batch chunk: the scratch arrays (2 per method) stay small per series. */
const chunkPoints = 512;

/**
 * The streaming ensemble: every method scores the point against what it learnt from earlier
 * points, each method's raw score is calibrated by its own anomaly likelihood, the evidence is
 * combined, a record raises the point's strength by itself, and an alarm is followed by a quiet
 * period. O(1) per point, bounded memory, and the score of a point never depends on a later one.
 */
export class EnsembleDetector {
  readonly components: ComponentDetector[];
  private readonly likelihoods: AnomalyLikelihood[];
  private readonly weights: Float64Array;
  /** Indices of the components that report records (when records are on). */
  private readonly recorders: number[];
  /** The seasonal component, whose deviation the minDeviation condition reads. */
  private readonly seasonal: SeasonalDetector | undefined;
  /** The ensemble's score of the last point before alarm gating: how anomalous it looks, 0..1. */
  lastStrength = 0;
  /** Index into `components` of the method with the most evidence for the last point, -1 for none. */
  lastWinner = -1;
  /** Whether a record decided the last point's strength (its winner is the method that saw the record). */
  lastRecord = false;
  private seen = 0;
  private sinceAlarm = Number.POSITIVE_INFINITY;
  private lastTime = Number.NEGATIVE_INFINITY;
  private raw: Float64Array[] = [];
  private records: Float64Array[] = [];
  private evidence = new Float64Array(0);
  private strongest = new Float64Array(0);
  private winners = new Int8Array(0);
  private recordWinners = new Int8Array(0);
  // Config copied into fields: the per-point path reads them millions of times.
  private readonly sum: boolean;
  private readonly evidenceHalf: number;
  private readonly evidenceCap: number;
  private readonly recordStrength: number;
  private readonly quietShare: number;
  private readonly quietMin: number;
  private readonly quietMax: number;
  private readonly learnPoints: number;
  private readonly minDeviation: number;
  private readonly alarmLevel: number;

  constructor(readonly config: EnsembleConfig = defaultEnsembleConfig) {
    this.components = config.methods.map((m) => createComponent(m, config));
    this.likelihoods = this.components.map((c) => new AnomalyLikelihood({ ...config.likelihood, ...config.likelihoodFor[c.method] }));
    this.recorders = config.records ? this.components.flatMap((c, k) => (c.lastRecord !== undefined ? [k] : [])) : [];
    this.seasonal = this.components.find((c): c is SeasonalDetector => c instanceof SeasonalDetector);
    this.sum = config.combine === 'sum';
    // Summed evidence of 5 decimal digits per method scores 0.5.
    this.evidenceHalf = 5 * Math.max(1, this.components.length);
    this.evidenceCap = config.evidenceCap;
    this.recordStrength = config.recordStrength;
    this.quietShare = config.quietShare;
    this.quietMin = config.quietMin;
    this.quietMax = config.quietMax;
    this.learnPoints = config.learnPoints;
    this.minDeviation = this.seasonal ? config.minDeviation : 0;
    this.alarmLevel = config.alarmLevel;
    // Weights in decimal digits per natural-log unit of tail probability.
    this.weights = Float64Array.from(this.components.map((c) => (config.weights[c.method] ?? 1) / Math.LN10));
  }

  get methods(): ComponentMethod[] {
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
      let e = -this.likelihoods[k]!.update(this.components[k]!.update(time, value)) * this.weights[k]!;
      if (e > this.evidenceCap) e = this.evidenceCap;
      evidence += e;
      if (e > strongest) {
        strongest = e;
        winner = k;
      }
    }
    let recorder = -1;
    for (const k of this.recorders) {
      if (this.components[k]!.lastRecord! >= 1) {
        recorder = k;
        break;
      }
    }
    return this.finish(evidence, strongest, winner, recorder);
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
      let clean = this.minDeviation === 0;
      let t = this.lastTime;
      for (let i = start; clean && i < end; i++) {
        if (!this.acceptsAfter(t, times[i]!, values[i]!)) clean = false;
        t = times[i]!;
      }
      if (!clean) {
        // Gaps and out-of-order points are rare, and the deviation condition needs each point's
        // seasonal deviation: take the careful path for this chunk.
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
        this.records = this.components.map((_, k) => new Float64Array(this.recorders.includes(k) ? chunkPoints : 0));
      }
      const chunkTimes = times.subarray(start, end);
      const chunkValues = values.subarray(start, end);
      // Scratch arrays start at 0 for this chunk.
      for (let k = 0; k < n; k++) this.components[k]!.updateBatch(chunkTimes, chunkValues, this.raw[k]!, 0, size, this.records[k]!.length ? this.records[k] : undefined);
      this.combineChunk(size, out, start, strength, winner);
    }
  }

  /**
   * The evidence of a chunk, method by method (a tight loop each, fused with the likelihood), then
   * the alarm gating point by point; the same arithmetic in the same order as update(), so the
   * same scores.
   */
  private combineChunk(size: number, out: Float64Array, offset: number, strengthOut: Float64Array | undefined, winnerOut: Int8Array | undefined): void {
    if (this.evidence.length < size) {
      this.evidence = new Float64Array(chunkPoints);
      this.strongest = new Float64Array(chunkPoints);
      this.winners = new Int8Array(chunkPoints);
      this.recordWinners = new Int8Array(chunkPoints);
    }
    const evidence = this.evidence;
    const strongest = this.strongest;
    const winners = this.winners;
    const recordWinners = this.recordWinners;
    evidence.fill(0, 0, size);
    strongest.fill(0, 0, size);
    winners.fill(-1, 0, size);
    recordWinners.fill(-1, 0, size);
    const n = this.components.length;
    // The first method (in order) that saw a record wins a point: fill from the last to the first.
    for (let r = this.recorders.length - 1; r >= 0; r--) {
      const k = this.recorders[r]!;
      const records = this.records[k]!;
      for (let j = 0; j < size; j++) if (records[j]! >= 1) recordWinners[j] = k;
    }
    for (let k = 0; k < n; k++) this.likelihoods[k]!.accumulate(this.raw[k]!, size, this.weights[k]!, this.evidenceCap, evidence, strongest, winners, k);
    // finish(), point by point, with the gating state in locals.
    const sum = this.sum;
    const half = this.evidenceHalf;
    const recordStrength = this.recordStrength;
    const quietShare = this.quietShare;
    const quietMin = this.quietMin;
    const quietMax = this.quietMax;
    const learnPoints = this.learnPoints;
    const alarmLevel = this.alarmLevel;
    let seen = this.seen;
    let since = this.sinceAlarm;
    let strength = this.lastStrength;
    let winner = this.lastWinner;
    let record = this.lastRecord;
    for (let j = 0; j < size; j++) {
      const e = evidence[j]!;
      strength = sum ? e / (e + half) : tailToScore(-strongest[j]! * Math.LN10);
      winner = winners[j]!;
      const recorder = recordWinners[j]!;
      record = recorder >= 0 && strength < recordStrength;
      if (record) {
        strength = recordStrength;
        winner = recorder;
      }
      seen++;
      since++;
      let quietFor = quietShare * seen;
      if (quietFor < quietMin) quietFor = quietMin;
      if (quietFor > quietMax) quietFor = quietMax;
      let score = 0;
      if (!(since <= quietFor || seen <= learnPoints)) {
        if (strength >= alarmLevel) since = 0;
        score = strength;
      }
      out[offset + j] = score;
      if (strengthOut) strengthOut[offset + j] = strength;
      if (winnerOut) winnerOut[offset + j] = winner;
    }
    this.seen = seen;
    this.sinceAlarm = since;
    this.lastStrength = strength;
    this.lastWinner = winner;
    this.lastRecord = record;
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
    this.lastRecord = false;
    return 0;
  }

  private finish(evidence: number, strongest: number, winner: number, recorder: number): number {
    let strength = this.sum ? evidence / (evidence + this.evidenceHalf) : tailToScore(-strongest * Math.LN10);
    this.lastRecord = recorder >= 0 && strength < this.recordStrength;
    if (this.lastRecord) {
      strength = this.recordStrength;
      winner = recorder;
    }
    this.lastStrength = strength;
    this.lastWinner = winner;
    const seen = ++this.seen;
    const since = ++this.sinceAlarm;
    let quietFor = this.quietShare * seen;
    if (quietFor < this.quietMin) quietFor = this.quietMin;
    if (quietFor > this.quietMax) quietFor = this.quietMax;
    if (since <= quietFor || seen <= this.learnPoints) return 0;
    if (strength >= this.alarmLevel) {
      if (this.minDeviation > 0) {
        // Rare, but not far enough from its usual to be shown as an anomaly: just under the alarm level.
        const d = this.seasonal!.deviation;
        if (!(d >= this.minDeviation || d <= -this.minDeviation)) return this.alarmLevel * (1 - 1e-9);
      }
      this.sinceAlarm = 0;
    }
    return strength;
  }

  saveState(): DetectorState {
    return {
      kind: 'ensemble',
      version: 3,
      methods: this.methods,
      components: this.components.map((c) => c.saveState()),
      likelihoods: this.likelihoods.map((l) => l.saveState()),
      seen: this.seen,
      sinceAlarm: Number.isFinite(this.sinceAlarm) ? this.sinceAlarm : null,
      lastTime: Number.isFinite(this.lastTime) ? this.lastTime : null,
    };
  }

  restoreState(state: DetectorState): void {
    expectVersion(state, 'ensemble', 3);
    const comps = state['components'] as StateValue[] | undefined;
    const liks = state['likelihoods'] as StateValue[] | undefined;
    const methods = state['methods'] as StateValue[] | undefined;
    if (!Array.isArray(comps) || !Array.isArray(liks) || !Array.isArray(methods) || comps.length !== this.components.length || methods.some((m, i) => m !== this.components[i]!.method)) {
      expectVersion({ kind: 'ensemble with other methods', version: 0 }, 'ensemble', 3);
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
