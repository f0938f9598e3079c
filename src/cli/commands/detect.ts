import { promises as fs } from 'fs';
import * as path from 'path';
import type { Anomaly } from '../../core/anomaly/anomaly';
import { createDetector, isSensitivity, sensitivities } from '../../core/anomaly/detect';
import { formatClock } from '../../core/anomaly/explain';
import { parseTimestamp } from '../../core/anomaly/timestamps';
import { OpsloopError } from '../../core/errors';
import { loadNabLabels } from '../../node/anomaly/nabCorpus';
import { CsvWriter, readTimeValueCsv } from '../../node/anomaly/csvStream';
import { parseArgs } from '../args';
import type { CliCommand, CliIO } from '../cliCommand';
import { ExitCode } from '../cliCommand';

const usage = `Usage: opsloop detect --input FILE.csv [--output OUT.csv] [--sensitivity low|medium|high]
                      [--labels combined_windows.json] [--name NAME] [--unit UNIT]

Scores every row of a timestamp,value CSV for anomalies, streaming (any file size), and writes
timestamp,value,anomaly_score (plus label, 1 inside a labelled window, when a NAB labels file is
given). Without --output the CSV goes to standard output and the summary to standard error.

Options:
  --input FILE        timestamp,value rows; a header row is optional
  --output FILE       where to write the scored rows
  --sensitivity S     low (only the obvious: 10 MADs off and rare), medium (default: 7 MADs
                      off and rare) or high (4 MADs off and rare); see docs/anomaly.md
  --labels FILE       NAB labels (combined_windows.json); the entry for this file adds a label column
  --name NAME         what the series is, for the explanations (default: the file name)
  --unit UNIT         unit of the values, for the explanations ("s" prints 0.92 as 920 ms,
                      "ratio" prints 0.031 as 3.1 %, anything else is appended: "req/s")

Exit status: 0 when no anomaly was found, 1 when at least one was, 2 for a usage error.
`;

/** Most anomalies a summary lists; the count is always complete. */
const summaryLimit = 50;

async function labelWindows(labelsFile: string, input: string): Promise<[number, number][] | undefined> {
  const labels = await loadNabLabels(labelsFile).catch((error: unknown) => {
    throw new OpsloopError('invalidInput', `Cannot read labels ${labelsFile}.`, 'Pass a NAB combined_windows.json', { cause: error });
  });
  const relative = `${path.basename(path.dirname(input))}/${path.basename(input)}`;
  const key = Object.keys(labels).find((k) => k === relative) ?? Object.keys(labels).find((k) => path.basename(k) === path.basename(input));
  if (!key) return undefined;
  return labels[key]!.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)]);
}

export const detectCommand: CliCommand = {
  name: 'detect',
  summary: 'Score a timestamp,value CSV for anomalies (streaming) and explain what it found',
  usage,
  async run(args: readonly string[], io: CliIO): Promise<number> {
    const { options, positionals } = parseArgs(args, {
      input: { type: 'string', short: 'i' },
      output: { type: 'string', short: 'o' },
      sensitivity: { type: 'string' },
      labels: { type: 'string' },
      name: { type: 'string' },
      unit: { type: 'string' },
    });
    if (positionals.length > 0) throw new OpsloopError('invalidInput', `Unexpected argument '${positionals[0]}'.`, 'See opsloop detect --help');
    const inputOption = options['input'];
    if (typeof inputOption !== 'string') throw new OpsloopError('invalidInput', 'Missing --input FILE.csv.', 'See opsloop detect --help');
    const sensitivity = options['sensitivity'] ?? 'medium';
    if (!isSensitivity(sensitivity)) throw new OpsloopError('invalidInput', `Unknown sensitivity '${String(sensitivity)}'.`, `Use ${sensitivities.join(', ')}`);
    const input = path.resolve(io.cwd, inputOption);
    const outputOption = options['output'];
    const output = typeof outputOption === 'string' ? path.resolve(io.cwd, outputOption) : undefined;
    const labelsOption = options['labels'];
    const windows = typeof labelsOption === 'string' ? await labelWindows(path.resolve(io.cwd, labelsOption), input) : undefined;
    if (typeof labelsOption === 'string' && !windows) io.stderr(`opsloop detect: no labels for ${path.basename(input)} in ${labelsOption}; writing without a label column.\n`);

    // Fail before creating the output file when the input cannot be read.
    await fs.access(input).catch((error: unknown) => {
      throw new OpsloopError('notFound', `Cannot read ${inputOption}.`, 'Check --input', { cause: error });
    });
    const name = typeof options['name'] === 'string' ? options['name'] : path.basename(input, path.extname(input));
    const unit = typeof options['unit'] === 'string' ? options['unit'] : undefined;
    const detector = createDetector({ sensitivity, seriesKey: name, name, ...(unit ? { unit } : {}) });
    const writer = output ? CsvWriter.toFile(output) : CsvWriter.toFunction((text) => io.stdout(text));
    const say = output ? io.stdout : io.stderr;
    const found: Anomaly[] = [];
    let anomalyCount = 0;
    let rows = 0;
    let gaps = 0;
    let window = 0;
    try {
      await writer.write(windows ? 'timestamp,value,anomaly_score,label\n' : 'timestamp,value,anomaly_score\n');
      for await (const batch of readTimeValueCsv(input, { signal: io.signal })) {
        let text = '';
        for (let i = 0; i < batch.texts.length; i++) {
          const t = batch.times[i]!;
          const v = batch.values[i]!;
          const score = detector.update(t, v);
          if (v !== v) gaps++;
          let label = '';
          if (windows) {
            while (window < windows.length && windows[window]![1] < t) window++;
            label = window < windows.length && windows[window]![0] <= t ? ',1' : ',0';
          }
          text += `${batch.texts[i]},${v === v ? v : ''},${score === 0 ? '0' : score}${label}\n`;
          for (const a of detector.takeFinished()) {
            anomalyCount++;
            if (found.length < summaryLimit) found.push(a);
          }
        }
        rows += batch.texts.length;
        await writer.write(text);
      }
    } finally {
      await writer.close();
    }
    const open = detector.current();
    if (open) {
      anomalyCount++;
      if (found.length < summaryLimit) found.push(open);
    }
    say(`${rows} rows${gaps ? ` (${gaps} without a value)` : ''}, ${anomalyCount} ${anomalyCount === 1 ? 'anomaly' : 'anomalies'} at ${sensitivity} sensitivity${output ? `; scores in ${outputOption}` : ''}.\n`);
    for (const a of found) say(`  ${formatClock(a.onset, true)}  ${a.kind.padEnd(10)} ${a.explanation}\n`);
    if (anomalyCount > found.length) say(`  ... and ${anomalyCount - found.length} more.\n`);
    return anomalyCount > 0 ? ExitCode.failed : ExitCode.ok;
  },
};
