/**
 * Times and durations as people write them (RFC 3339, Unix seconds, `-6h`, `now`, `15s`) turned
 * into Unix seconds. Pure: "now" is always given by the caller.
 */
import { OpsloopError } from '../errors';

const unitSeconds: Readonly<Record<string, number>> = {
  ms: 0.001,
  s: 1,
  m: 60,
  h: 3600,
  d: 86_400,
  w: 604_800,
  y: 31_536_000,
};

const durationPart = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/gy;

/**
 * A duration in seconds: Prometheus style (`15s`, `1h30m`, `500ms`, `2d`) or a plain number of
 * seconds (`90`, `0.5`). Throws an `invalidInput` error that names the text otherwise.
 */
export function parseDuration(text: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  let total = 0;
  let matched = 0;
  durationPart.lastIndex = 0;
  for (;;) {
    const start = durationPart.lastIndex;
    if (start >= t.length) break;
    const m = durationPart.exec(t);
    if (!m || m.index !== start) {
      matched = -1;
      break;
    }
    total += Number(m[1]) * unitSeconds[m[2]!]!;
    matched++;
  }
  if (matched <= 0 || !Number.isFinite(total)) {
    throw new OpsloopError('invalidInput', `'${text}' is not a duration: write a number of seconds or e.g. 15s, 5m, 1h30m, 2d.`);
  }
  return total;
}

/** The shortest Prometheus-style text for a number of seconds (`90` → `1m30s`). */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return String(seconds);
  if (seconds === 0) return '0s';
  if (!Number.isInteger(seconds)) return seconds < 1 ? `${Math.round(seconds * 1000)}ms` : `${seconds}s`;
  let rest = seconds;
  let out = '';
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return out;
}

const rfc3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?)?$/;

/**
 * Parses RFC 3339 / ISO 8601 date-times (`2024-05-01T12:00:00Z`, `...+02:00`, fractional
 * seconds, a bare date meaning midnight UTC). A time without an offset is read as UTC so that
 * the result never depends on the machine's time zone. Returns undefined when it is not one.
 */
export function parseRfc3339(text: string): number | undefined {
  const m = rfc3339.exec(text.trim());
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac, , sign, oh, om] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return undefined;
  const ms = Date.UTC(Number(y), month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return undefined; // 2024-02-31 and friends
  let seconds = ms / 1000 + (frac ? Number(frac) : 0);
  if (sign) {
    const offset = (Number(oh) * 60 + Number(om)) * 60;
    seconds += sign === '+' ? -offset : offset;
  }
  return seconds;
}

/**
 * A point in time in Unix seconds from what a person types: `now`, `now-6h`, `-6h` (before
 * now), `+30m`, RFC 3339, or Unix seconds (`1714564800`, fractional allowed). Numbers that only
 * make sense as milliseconds are refused with a hint rather than read as the year 56000.
 */
export function parseTimeSpec(text: string, nowSeconds: number): number {
  const t = text.trim();
  if (t === '') throw new OpsloopError('invalidInput', 'An empty time: write now, -6h, a Unix time in seconds or an RFC 3339 date.');
  if (t === 'now') return nowSeconds;
  const relative = /^(?:now)?\s*([+-])\s*(.+)$/.exec(t);
  if (relative && !/^[+-]?\d+(\.\d+)?$/.test(t)) {
    const amount = parseDuration(relative[2]!);
    return relative[1] === '-' ? nowSeconds - amount : nowSeconds + amount;
  }
  if (/^\d+(\.\d+)?$/.test(t)) {
    const n = Number(t);
    if (n >= 1e11) {
      throw new OpsloopError('invalidInput', `${t} looks like milliseconds; times are Unix seconds (use ${Math.floor(n / 1000)}).`);
    }
    return n;
  }
  const parsed = parseRfc3339(t);
  if (parsed !== undefined) return parsed;
  throw new OpsloopError('invalidInput', `'${text}' is not a time: write now, -6h, now-30m, a Unix time in seconds or an RFC 3339 date like 2024-05-01T12:00:00Z.`);
}

/** RFC 3339 in UTC with millisecond precision when needed (`2024-05-01T12:00:00Z`). */
export function formatRfc3339(seconds: number): string {
  const iso = new Date(Math.round(seconds * 1000)).toISOString();
  return iso.endsWith('.000Z') ? `${iso.slice(0, -5)}Z` : iso;
}

/** Steps a chart or a query can use: the familiar ones, so results line up across refreshes. */
const niceSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400, 172_800, 604_800];

/**
 * The step for a range: the smallest familiar step that keeps the series at or under
 * `targetPoints`, never finer than `minStep` (the source's scrape interval).
 */
export function chooseStep(start: number, end: number, options: { readonly targetPoints?: number; readonly minStep?: number } = {}): number {
  const target = Math.max(2, options.targetPoints ?? 11_000);
  const minStep = options.minStep ?? 15;
  const span = Math.max(0, end - start);
  const wanted = Math.max(minStep, span / (target - 1));
  for (const s of niceSteps) if (s >= wanted) return s;
  return Math.ceil(wanted / 86_400) * 86_400;
}

export interface RangeChunk {
  readonly start: number;
  readonly end: number;
}

/**
 * Splits [start, end] at `step` into chunks of at most `maxPoints` samples per series (the
 * Prometheus server refuses more than 11,000). Chunk starts stay on the grid start + k·step and
 * chunks do not overlap, so the joined answer equals the answer to one big query.
 */
export function splitRange(start: number, end: number, step: number, maxPoints = 11_000): RangeChunk[] {
  if (!(step > 0) || !Number.isFinite(step)) throw new OpsloopError('invalidInput', `The step must be a positive number of seconds, not ${step}.`);
  if (!(end >= start)) throw new OpsloopError('invalidInput', 'The end of the range is before its start.');
  if (maxPoints < 2) throw new OpsloopError('invalidInput', 'A chunk needs room for at least two points.');
  const chunks: RangeChunk[] = [];
  const total = Math.floor((end - start) / step + 1e-9); // intervals on the grid
  const perChunk = maxPoints - 1;
  for (let k = 0; k <= total; k += perChunk + 1) {
    const chunkStart = start + k * step;
    const lastK = Math.min(total, k + perChunk);
    chunks.push({ start: chunkStart, end: start + lastK * step });
  }
  if (chunks.length === 0) chunks.push({ start, end: start });
  return chunks;
}
