import { promises as fs } from 'fs';
import * as path from 'path';
import { parseTimestamp } from '../../core/anomaly/timestamps';
import { OpsloopError } from '../../core/errors';

/** One NAB data file with its labelled windows (Unix seconds). */
export interface NabSeries {
  /** "<category>/<name>.csv", as the labels file keys it. */
  readonly name: string;
  readonly category: string;
  /** The timestamps as written, so results can be written back in NAB's format. */
  readonly timestampTexts: readonly string[];
  readonly times: Float64Array;
  readonly values: Float64Array;
  readonly windows: readonly (readonly [number, number])[];
}

/**
 * Loads a NAB corpus laid out as `data/<category>/<name>.csv` with
 * `labels/combined_windows.json` beside it. Files are read whole: the corpus is 365k rows.
 */
export async function loadNabCorpus(root: string): Promise<NabSeries[]> {
  const labelsPath = path.join(root, 'labels', 'combined_windows.json');
  let labels: Record<string, [string, string][]>;
  try {
    labels = JSON.parse(await fs.readFile(labelsPath, 'utf8')) as Record<string, [string, string][]>;
  } catch (error) {
    throw new OpsloopError('notFound', `Cannot read NAB labels at ${labelsPath}.`, 'Pass --data <NAB folder>', { cause: error });
  }
  const result: NabSeries[] = [];
  for (const name of Object.keys(labels).sort()) {
    const text = await fs.readFile(path.join(root, 'data', name), 'utf8');
    const { timestampTexts, times, values } = parseNabCsv(text);
    const windows = labels[name]!.map(([a, b]) => [parseTimestamp(a), parseTimestamp(b)] as const);
    result.push({ name, category: name.split('/')[0]!, timestampTexts, times, values, windows });
  }
  return result;
}

export async function loadNabLabels(file: string): Promise<Record<string, [string, string][]>> {
  return JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, [string, string][]>;
}

function parseNabCsv(text: string): { timestampTexts: string[]; times: Float64Array; values: Float64Array } {
  const lines = text.split(/\r?\n/);
  const timestampTexts: string[] = [];
  const times: number[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const comma = line.indexOf(',');
    const ts = line.slice(0, comma);
    timestampTexts.push(ts);
    times.push(parseTimestamp(ts));
    values.push(Number(line.slice(comma + 1)));
  }
  return { timestampTexts, times: Float64Array.from(times), values: Float64Array.from(values) };
}
