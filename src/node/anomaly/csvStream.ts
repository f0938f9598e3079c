import { createReadStream, createWriteStream, type WriteStream } from 'fs';
import { once } from 'events';
import * as readline from 'readline';
import { parseTimestamp } from '../../core/anomaly/timestamps';
import { OpsloopError } from '../../core/errors';

/** A batch of rows from a `timestamp,value` file; timestamps are kept as written for the output. */
export interface RowBatch {
  readonly texts: string[];
  readonly times: Float64Array;
  readonly values: Float64Array;
  /** 1-based line number of the first row in the file. */
  readonly firstLine: number;
}

export interface ReadOptions {
  /** Rows per batch: memory stays at one batch however long the file is. */
  readonly batchRows?: number;
  readonly signal?: AbortSignal;
}

/**
 * Reads a `timestamp,value` CSV as a stream of batches. A header row is optional; when present its
 * `timestamp` (or `time`) and `value` columns are used, else the first two. Empty values and
 * values that are not numbers become NaN (a gap); an unreadable timestamp is an error with its
 * line number.
 */
export async function* readTimeValueCsv(file: string, options: ReadOptions = {}): AsyncGenerator<RowBatch> {
  const batchRows = options.batchRows ?? 8192;
  const input = createReadStream(file, { encoding: 'utf8' });
  const failed = new Promise<never>((_, reject) => {
    input.once('error', (error: NodeJS.ErrnoException) => {
      reject(new OpsloopError(error.code === 'ENOENT' ? 'notFound' : 'invalidInput', `Cannot read ${file}: ${error.message}`, 'Check --input', { cause: error }));
    });
  });
  failed.catch(() => undefined);
  const lines = readline.createInterface({ input, crlfDelay: Infinity });
  let timeColumn = 0;
  let valueColumn = 1;
  let lineNumber = 0;
  let texts: string[] = [];
  let times = new Float64Array(batchRows);
  let values = new Float64Array(batchRows);
  let count = 0;
  let firstLine = 1;
  const iterator = lines[Symbol.asyncIterator]();
  try {
    for (;;) {
      const next = await Promise.race([iterator.next(), failed]);
      if (next.done) break;
      const line: string = next.value;
      lineNumber++;
      if (options.signal?.aborted) throw new OpsloopError('cancelled', 'Stopped.');
      if (line.trim() === '') continue;
      const cells = line.split(',');
      if (lineNumber === 1 && Number.isNaN(parseTimestamp(cells[0] ?? ''))) {
        const names = cells.map((c) => c.trim().toLowerCase().replace(/^"|"$/g, ''));
        const t = names.findIndex((n) => n === 'timestamp' || n === 'time');
        const v = names.indexOf('value');
        timeColumn = t >= 0 ? t : 0;
        valueColumn = v >= 0 ? v : 1;
        continue;
      }
      const text = (cells[timeColumn] ?? '').trim();
      const time = parseTimestamp(text);
      if (Number.isNaN(time)) throw new OpsloopError('invalidInput', `${file}:${lineNumber}: '${text}' is not a timestamp.`, 'Use ISO 8601, "YYYY-MM-DD HH:MM:SS" or Unix seconds');
      const cell = (cells[valueColumn] ?? '').trim();
      if (count === 0) firstLine = lineNumber;
      texts.push(text);
      times[count] = time;
      values[count] = cell === '' ? Number.NaN : Number(cell);
      count++;
      if (count === batchRows) {
        yield { texts, times, values, firstLine };
        texts = [];
        times = new Float64Array(batchRows);
        values = new Float64Array(batchRows);
        count = 0;
      }
    }
    if (count > 0) yield { texts, times: times.subarray(0, count), values: values.subarray(0, count), firstLine };
  } finally {
    lines.close();
    input.destroy();
  }
}

/** Where CSV text goes: a file (with backpressure, so output never piles up in memory) or a function. */
export class CsvWriter {
  private constructor(
    private readonly stream: WriteStream | undefined,
    private readonly sink: ((text: string) => void) | undefined,
  ) {}

  static toFile(file: string): CsvWriter {
    return new CsvWriter(createWriteStream(file, { encoding: 'utf8' }), undefined);
  }

  static toFunction(sink: (text: string) => void): CsvWriter {
    return new CsvWriter(undefined, sink);
  }

  async write(text: string): Promise<void> {
    if (this.sink) this.sink(text);
    else if (!this.stream!.write(text)) await once(this.stream!, 'drain');
  }

  async close(): Promise<void> {
    const stream = this.stream;
    if (!stream) return;
    await new Promise<void>((resolve, reject) => {
      stream.once('error', reject);
      stream.end(() => resolve());
    });
  }
}
