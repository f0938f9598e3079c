/**
 * `npm run bench:nab -- --data ../shared/nab [--config '{"quietMax":100}'] [--alarm 0.3,0.35] [--files] [--no-write] [--passes 15]`
 *
 * Scores the default anomaly ensemble on the NAB corpus: the three normalised profile scores with
 * the single threshold per profile chosen over the corpus (as the published detectors did),
 * per-category scores, the product's three sensitivities as they are (no threshold chosen),
 * throughput, memory per series; writes NAB-format results under
 * bench/results/nab/<category>/<name>.csv. Prints figures, asserts nothing.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { sensitivities, sensitivityLevels } from '../src/core/anomaly/detect';
import { EnsembleDetector, defaultEnsembleConfig, type EnsembleConfig } from '../src/core/anomaly/ensemble';
import { nabProfiles, scoreAtThreshold, sweepThreshold, windowsToIndices, type NabFile } from '../src/core/nab/scorer';
import { loadNabCorpus, type NabSeries } from '../src/node/anomaly/nabCorpus';
import { parseArgs } from '../src/cli/args';

function merge<T>(base: T, patch: unknown): T {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch as T;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch as Record<string, unknown>)) out[k] = merge(out[k], v);
  return out as T;
}

function runAll(corpus: readonly NabSeries[], config: EnsembleConfig): { scores: Float64Array[]; strengths: Float64Array[]; winners: Int8Array[]; ms: number; cpuMs: number; stateBytes: number[] } {
  const scores: Float64Array[] = [];
  const strengths: Float64Array[] = [];
  const winners: Int8Array[] = [];
  const detectors: EnsembleDetector[] = [];
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (const s of corpus) {
    const d = new EnsembleDetector(config);
    const out = new Float64Array(s.values.length);
    const won = new Int8Array(s.values.length);
    const strength = new Float64Array(s.values.length);
    d.updateBatch(s.times, s.values, out, 0, s.values.length, strength, won);
    scores.push(out);
    strengths.push(strength);
    winners.push(won);
    detectors.push(d);
  }
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { scores, strengths, winners, ms, cpuMs, stateBytes: detectors.map((d) => JSON.stringify(d.saveState()).length) };
}

async function main(): Promise<void> {
  const { options } = parseArgs(process.argv.slice(2), {
    data: { type: 'string' },
    config: { type: 'string' },
    out: { type: 'string' },
    files: { type: 'boolean' },
    'no-write': { type: 'boolean' },
    alarm: { type: 'string' },
    grid: { type: 'boolean' },
    methods: { type: 'boolean' },
    passes: { type: 'string' },
  });
  const root = path.resolve(String(options['data'] ?? '../shared/nab'));
  const config = options['config'] ? merge(defaultEnsembleConfig, JSON.parse(String(options['config']))) : defaultEnsembleConfig;
  const loadStart = Date.now();
  const corpus = await loadNabCorpus(root);
  const points = corpus.reduce((a, s) => a + s.values.length, 0);
  console.log(`NAB corpus: ${corpus.length} series, ${points} points, parsed in ${Date.now() - loadStart} ms`);

  // Suppression after an alarm makes the alarm level part of the threshold: one level per
  // profile is chosen over the corpus, on a fixed grid, like the published single thresholds.
  const grid = options['alarm'] ? String(options['alarm']).split(',').map(Number) : [0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8];
  let first: ReturnType<typeof runAll> | undefined;
  const runs = grid.map((alarmLevel) => {
    const c: EnsembleConfig = { ...config, alarmLevel };
    const run = runAll(corpus, c);
    first ??= run;
    const files: NabFile[] = corpus.map((s, f) => ({ name: s.name, length: s.values.length, windows: windowsToIndices(s.times, s.windows), scores: run.scores[f]! }));
    return { alarmLevel, run, files, results: nabProfiles.map((p) => sweepThreshold(files, p)) };
  });
  const best = nabProfiles.map((_, k) => runs.reduce((a, b) => (b.results[k]!.raw > a.results[k]!.raw ? b : a)));
  // Timing: the standard profile's configuration again, JIT warm, parsing excluded. The machine
  // may be shared: the best of several passes is the figure least disturbed by others (the
  // median is printed too).
  const passes = Math.max(1, Number(options['passes'] ?? 15));
  const timed = runAll(corpus, { ...config, alarmLevel: best[0]!.alarmLevel });
  const cpuTimes = [timed.cpuMs];
  for (let r = 1; r < passes; r++) {
    const again = runAll(corpus, { ...config, alarmLevel: best[0]!.alarmLevel });
    cpuTimes.push(again.cpuMs);
    if (again.cpuMs < timed.cpuMs) Object.assign(timed, { ms: again.ms, cpuMs: again.cpuMs });
  }
  cpuTimes.sort((a, b) => a - b);
  const medianCpuMs = cpuTimes[cpuTimes.length >> 1]!;
  const { ms, cpuMs, stateBytes } = timed;
  for (let f = 0; f < corpus.length; f++) for (let i = 0; i < timed.scores[f]!.length; i++) if (timed.scores[f]![i] !== best[0]!.run.scores[f]![i]) throw new Error(`not deterministic at ${corpus[f]!.name}:${i}`);
  const results = nabProfiles.map((_, k) => best[k]!.results[k]!);
  console.log('');
  console.log('profile              normalised  alarm level  threshold     TP   FP   FN');
  results.forEach((r, k) => {
    console.log(`${r.profile.padEnd(20)} ${r.normalised.toFixed(2).padStart(10)}  ${best[k]!.alarmLevel.toFixed(3).padStart(11)}  ${r.threshold.toFixed(6).padStart(9)}  ${String(r.tp).padStart(5)} ${String(r.fp).padStart(4)} ${String(r.fn).padStart(4)}`);
  });
  if (options['grid']) for (const r of runs) console.log(`  alarm ${r.alarmLevel}: ${r.results.map((x) => x.normalised.toFixed(2)).join(' / ')}`);
  console.log('');
  const files = best[0]!.files;
  const scores = best[0]!.run.scores;
  const categories = [...new Set(corpus.map((s) => s.category))];
  console.log(`category               ${nabProfiles.map((p) => p.name.padStart(19)).join('')}`);
  for (const c of categories) {
    const cells = nabProfiles.map((p, k) => {
      const sub = best[k]!.files.filter((_, i) => corpus[i]!.category === c);
      const s = scoreAtThreshold(sub, p, results[k]!.threshold);
      const windows = sub.reduce((a, f) => a + f.windows.length, 0);
      return (windows === 0 ? `raw ${s.raw.toFixed(2)} (${s.fp} FP)` : `${s.normalised.toFixed(1)}`).padStart(19);
    });
    console.log(`${c.padEnd(22)} ${cells.join('')}`);
  }
  if (!options['config']) {
    // The product's sensitivities as they ship: their own alarm level and deviation condition,
    // detections where the score reaches the alarm level (no threshold chosen over the corpus).
    console.log('');
    console.log(`product sensitivity   ${nabProfiles.map((p) => p.name.padStart(19)).join('')}   (threshold = alarm level)`);
    for (const sensitivity of sensitivities) {
      const level = sensitivityLevels[sensitivity];
      const run = runAll(corpus, { ...config, ...level });
      const scored: NabFile[] = corpus.map((s, f) => ({ name: s.name, length: s.values.length, windows: windowsToIndices(s.times, s.windows), scores: run.scores[f]! }));
      const cells = nabProfiles.map((p) => {
        const r = scoreAtThreshold(scored, p, level.alarmLevel);
        return `${r.normalised.toFixed(2)} (${r.tp}/${r.fp}/${r.fn})`.padStart(19);
      });
      console.log(`${`${sensitivity} (${level.alarmLevel}, ${level.minDeviation} MADs)`.padEnd(22)}${cells.join('')}`);
    }
  }
  if (options['files']) {
    console.log('');
    const std = nabProfiles[0]!;
    for (const f of files) {
      const s = scoreAtThreshold([f], std, results[0]!.threshold);
      console.log(`${f.name.padEnd(60)} raw ${s.raw.toFixed(2).padStart(6)} tp ${s.tp} fp ${s.fp} fn ${s.fn}`);
    }
  }
  if (options['methods']) {
    // Which method carried each alarm of the standard profile, inside and outside windows.
    const names = new EnsembleDetector(config).components.map((c) => c.method);
    const tally = new Map<string, { inWindow: number; outside: number }>();
    const thr = results[0]!.threshold;
    files.forEach((f, k) => {
      for (let i = 0; i < f.length; i++) {
        if (!(scores[k]![i]! >= thr)) continue;
        const inside = f.windows.some((w) => w.left <= i && i <= w.right);
        // A record sets the strength to recordStrength exactly; the winner is then the method that saw it.
        const record = best[0]!.run.strengths[k]![i] === config.recordStrength;
        const name = record ? 'record' : (names[best[0]!.run.winners[k]![i]!] ?? '?');
        const t = tally.get(name) ?? { inWindow: 0, outside: 0 };
        if (inside) t.inWindow++;
        else t.outside++;
        tally.set(name, t);
      }
    });
    for (const [name, t] of tally) console.log(`  ${name.padEnd(12)} alarms in windows ${t.inWindow}, outside ${t.outside}`);
  }
  // Heap per live detector: many detectors, each fed a day of points, measured after a GC when exposed.
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const live: EnsembleDetector[] = [];
  const sample = corpus[0]!;
  for (let k = 0; k < 500; k++) {
    const d = new EnsembleDetector(config);
    for (let i = 0; i < 300; i++) d.update(sample.times[i]!, sample.values[i]!);
    live.push(d);
  }
  gc?.();
  const heapPerSeries = (process.memoryUsage().heapUsed - heapBefore) / live.length;
  const meanState = stateBytes.reduce((a, b) => a + b, 0) / stateBytes.length;
  console.log('');
  console.log(
    `detection: ${cpuMs.toFixed(1)} ms CPU (${ms.toFixed(1)} ms wall) for ${points} points = ${((points / cpuMs) * 1000 / 1e6).toFixed(2)} M points/s on one core, parsing excluded (best of ${passes} warm passes; median ${medianCpuMs.toFixed(1)} ms = ${((points / medianCpuMs) * 1000 / 1e6).toFixed(2)} M/s; the first, cold pass took ${first!.cpuMs.toFixed(1)} ms CPU)`,
  );
  console.log(`memory per series: ${(heapPerSeries / 1024).toFixed(1)} KiB of heap per live detector${gc ? '' : ' (run node with --expose-gc for a steadier figure)'}; saved state ${(meanState / 1024).toFixed(1)} KiB JSON on average, ${(Math.max(...stateBytes) / 1024).toFixed(1)} KiB at most`);

  if (!options['no-write']) {
    const outRoot = path.resolve(String(options['out'] ?? path.join(__dirname, '..', '..', 'bench', 'results', 'nab')));
    const thresholdStd = results[0]!.threshold;
    for (let f = 0; f < corpus.length; f++) {
      const s = corpus[f]!;
      const w = files[f]!.windows;
      const lines = ['timestamp,value,anomaly_score,label'];
      let k = 0;
      for (let i = 0; i < s.values.length; i++) {
        while (k < w.length && w[k]!.right < i) k++;
        const label = k < w.length && w[k]!.left <= i ? 1 : 0;
        lines.push(`${s.timestampTexts[i]},${s.values[i]},${scores[f]![i]},${label}`);
      }
      const file = path.join(outRoot, s.name);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, `${lines.join('\n')}\n`);
    }
    await fs.writeFile(path.join(outRoot, 'thresholds.json'), `${JSON.stringify(Object.fromEntries(results.map((r) => [r.profile, { threshold: r.threshold, score: r.normalised }])), null, 2)}\n`);
    console.log(`NAB-format results in ${outRoot} (standard threshold ${thresholdStd})`);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
