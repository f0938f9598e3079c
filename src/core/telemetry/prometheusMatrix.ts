/**
 * A fast path for the common Prometheus answer, a matrix, read straight from the bytes:
 *
 *     {"status":"success","data":{"resultType":"matrix","result":[
 *       {"metric":{...},"values":[[1714564800,"0.25"],...]}, ...]}, "warnings":[...]}
 *
 * JSON.parse would build two objects and a string per point; this reads the numbers in place
 * (exactly as Number() would, see decimal.ts), parses only each series' `metric` object with
 * JSON.parse, and hands the envelope's tail (warnings, infos) to JSON.parse too. Anything it
 * does not expect (another key order, escapes in values, native histograms, an error answer,
 * a malformed body) returns undefined, and the caller takes the general JSON.parse path, which
 * also produces the error messages. So the fast path can only be faster, never different.
 */
import { decimalResult, readDecimalBytes } from './decimal';
import { setLabel } from './labels';
import type { Series } from './series';
import { SeriesBuilder } from './seriesBuilder';

export interface FastMatrix {
  readonly series: Series[];
  readonly samples: number;
  readonly warnings: string[];
  readonly infos: string[];
}

const utf8 = new TextDecoder('utf-8');
const bytesOf = (s: string): Uint8Array => new TextEncoder().encode(s);
const STATUS = bytesOf('"status"');
const SUCCESS = bytesOf('"success"');
const DATA = bytesOf('"data"');
const RESULT_TYPE = bytesOf('"resultType"');
const MATRIX = bytesOf('"matrix"');
const RESULT = bytesOf('"result"');
const METRIC = bytesOf('"metric"');
const VALUES = bytesOf('"values"');

class Bail extends Error {}
const bail = new Bail();

export function decodeMatrixFast(b: Uint8Array, defaultName: string): FastMatrix | undefined {
  try {
    return scan(b, defaultName);
  } catch (error) {
    if (error === bail) return undefined;
    throw error;
  }
}

function scan(b: Uint8Array, defaultName: string): FastMatrix {
  const n = b.length;
  let i = 0;
  const ws = (): void => {
    while (i < n) {
      const c = b[i]!;
      if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return;
      i++;
    }
  };
  const expect = (c: number): void => {
    ws();
    if (b[i] !== c) throw bail;
    i++;
  };
  const literal = (lit: Uint8Array): void => {
    ws();
    for (let k = 0; k < lit.length; k++) if (b[i + k] !== lit[k]) throw bail;
    i += lit.length;
  };
  /** The end (exclusive) of the JSON object starting at i, honouring strings. */
  const objectEnd = (from: number): number => {
    let depth = 0;
    let k = from;
    while (k < n) {
      const c = b[k]!;
      if (c === 34) {
        k++;
        while (k < n && b[k] !== 34) k += b[k] === 92 ? 2 : 1;
        if (k >= n) throw bail;
      } else if (c === 123) depth++;
      else if (c === 125 && --depth === 0) return k + 1;
      k++;
    }
    throw bail;
  };

  expect(123);
  literal(STATUS);
  expect(58);
  literal(SUCCESS);
  expect(44);
  literal(DATA);
  expect(58);
  expect(123);
  literal(RESULT_TYPE);
  expect(58);
  literal(MATRIX);
  expect(44);
  literal(RESULT);
  expect(58);
  expect(91);
  const series: Series[] = [];
  let samples = 0;
  ws();
  if (b[i] === 93) i++;
  else {
    for (;;) {
      expect(123);
      literal(METRIC);
      expect(58);
      ws();
      if (b[i] !== 123) throw bail;
      const end = objectEnd(i);
      const metric = parseJson(utf8.decode(b.subarray(i, end))) as Record<string, unknown>;
      i = end;
      const labels: Record<string, string> = {};
      let name = defaultName;
      for (const key of Object.keys(metric)) {
        const v = metric[key];
        if (typeof v !== 'string') throw bail;
        if (key === '__name__') name = v;
        else setLabel(labels, key, v);
      }
      expect(44);
      literal(VALUES);
      expect(58);
      expect(91);
      const builder = new SeriesBuilder(1024);
      ws();
      if (b[i] === 93) i++;
      else {
        for (;;) {
          // [time,"value"]
          if (b[i] !== 91) {
            ws();
            if (b[i] !== 91) throw bail;
          }
          i++;
          let j = i;
          while (j < n && b[j] !== 44) j++;
          if (!readDecimalBytes(b, i, j)) throw bail;
          const time = decimalResult[0]!;
          i = j + 1;
          if (b[i] !== 34) throw bail;
          i++;
          j = i;
          while (j < n && b[j] !== 34) j++;
          if (j >= n) throw bail;
          let value: number;
          if (readDecimalBytes(b, i, j)) value = decimalResult[0]!;
          else value = special(b, i, j);
          builder.push(time, value);
          i = j + 1;
          if (b[i] !== 93) throw bail;
          i++;
          const c = b[i];
          if (c === 44) {
            i++;
            continue;
          }
          if (c === 93) {
            i++;
            break;
          }
          ws();
          if (b[i] === 44) {
            i++;
            ws();
            continue;
          }
          if (b[i] === 93) {
            i++;
            break;
          }
          throw bail;
        }
      }
      const { times, values } = builder.build();
      samples += times.length;
      series.push({ name, labels, times, values });
      expect(125);
      ws();
      if (b[i] === 44) {
        i++;
        continue;
      }
      if (b[i] === 93) {
        i++;
        break;
      }
      throw bail;
    }
  }
  expect(125); // end of data
  ws();
  let warnings: string[] = [];
  let infos: string[] = [];
  if (b[i] === 44) {
    // The rest of the envelope (warnings, infos): small, so JSON.parse reads it.
    const rest = parseJson(`{${utf8.decode(b.subarray(i + 1))}`) as { warnings?: unknown; infos?: unknown; status?: unknown };
    if (rest === null || typeof rest !== 'object') throw bail;
    if (rest.status !== undefined) throw bail;
    if (rest.warnings !== undefined) {
      if (!Array.isArray(rest.warnings)) throw bail;
      warnings = rest.warnings.map(String);
    }
    if (rest.infos !== undefined) {
      if (!Array.isArray(rest.infos)) throw bail;
      infos = rest.infos.map(String);
    }
    return { series, samples, warnings, infos };
  }
  expect(125);
  ws();
  if (i !== n) throw bail;
  return { series, samples, warnings, infos };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw bail;
  }
}

/** "NaN", "+Inf", "-Inf"; anything else is not for the fast path. */
function special(b: Uint8Array, from: number, to: number): number {
  const len = to - from;
  if (len === 3 && b[from] === 78 && b[from + 1] === 97 && b[from + 2] === 78) return NaN;
  if (len === 4 && b[from + 1] === 73 && b[from + 2] === 110 && b[from + 3] === 102) {
    if (b[from] === 43) return Infinity;
    if (b[from] === 45) return -Infinity;
  }
  throw bail;
}
