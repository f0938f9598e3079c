import { createReadStream, createWriteStream, type WriteStream } from 'fs';
import { once } from 'events';
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
  // The stream's own async iterator pauses the file while a batch is being scored (backpressure);
  // lines are split here, which is also much faster than readline's per-line promises.
  const input = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let timeColumn = 0;
  let valueColumn = 1;
  let lineNumber = 0;
  let texts: string[] = [];
  let times = new Float64Array(batchRows);
  let values = new Float64Array(batchRows);
  let count = 0;
  let firstLine = 1;
  let rest = '';

  const take = (line: string): boolean => {
    lineNumber++;
    if (line.length === 0 || line.trim() === '') return false;
    const cells = line.split(',');
    if (lineNumber === 1 && Number.isNaN(parseTimestamp(cells[0] ?? ''))) {
      const names = cells.map((c) => c.trim().toLowerCase().replace(/^"|"$/g, ''));
      const t = names.findIndex((n) => n === 'timestamp' || n === 'time');
      const v = names.indexOf('value');
      timeColumn = t >= 0 ? t : 0;
      valueColumn = v >= 0 ? v : 1;
      return false;
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
    return count === batchRows;
  };
  const flush = (): RowBatch => {
    const batch = { texts, times: times.subarray(0, count), values: values.subarray(0, count), firstLine };
    texts = [];
    times = new Float64Array(batchRows);
    values = new Float64Array(batchRows);
    count = 0;
    return batch;
  };

  try {
    for await (const chunk of input) {
      if (options.signal?.aborted) throw new OpsloopError('cancelled', 'Stopped.');
      const text = rest + (chunk as string);
      let from = 0;
      for (let nl = text.indexOf('\n', from); nl >= 0; nl = text.indexOf('\n', from)) {
        const end = nl > from && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        if (take(text.slice(from, end))) yield flush();
        from = nl + 1;
      }
      rest = text.slice(from);
    }
    if (rest.length > 0 && take(rest.endsWith('\r') ? rest.slice(0, -1) : rest)) yield flush();
    if (count > 0) yield flush();
  } catch (error) {
    if (OpsloopError.is(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new OpsloopError(code === 'ENOENT' ? 'notFound' : 'invalidInput', `Cannot read ${file}: ${(error as Error).message}`, 'Check --input', { cause: error });
  } finally {
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
