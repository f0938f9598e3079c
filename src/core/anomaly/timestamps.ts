/**
 * Timestamps as metric exports write them, turned into Unix seconds. Zone-less date-times are UTC
 * (NAB and most exporters write them so); a plain number is already Unix seconds, or milliseconds
 * when it is too large to be seconds.
 */
const dateTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/;

/** Digits at s[i..i+n) as a number, or NaN. */
function digits(s: string, i: number, n: number): number {
  let v = 0;
  for (let k = i; k < i + n; k++) {
    const c = s.charCodeAt(k) - 48;
    if (c < 0 || c > 9) return Number.NaN;
    v = v * 10 + c;
  }
  return v;
}

/** Unix seconds, or NaN when the text is not a timestamp. */
export function parseTimestamp(text: string): number {
  // Fast path for the common "YYYY-MM-DD HH:MM:SS" (and its ISO "T"/"Z" spelling): a CSV of
  // millions of rows spends most of its parsing time here.
  if ((text.length === 19 || (text.length === 20 && text.charCodeAt(19) === 90)) && text.charCodeAt(4) === 45 && text.charCodeAt(7) === 45 && text.charCodeAt(13) === 58 && text.charCodeAt(16) === 58) {
    const sep = text.charCodeAt(10);
    if (sep === 32 || sep === 84) {
      const ms = Date.UTC(digits(text, 0, 4), digits(text, 5, 2) - 1, digits(text, 8, 2), digits(text, 11, 2), digits(text, 14, 2), digits(text, 17, 2));
      if (ms === ms) return ms / 1000;
    }
  }
  const s = text.trim();
  if (s === '') return Number.NaN;
  const m = dateTime.exec(s);
  if (m) {
    const ms = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, m[4] ? +m[4] : 0, m[5] ? +m[5] : 0, m[6] ? +m[6] : 0);
    let seconds = ms / 1000 + (m[7] ? Number(m[7]) : 0);
    const zone = m[8];
    if (zone && zone !== 'Z') {
      const sign = zone[0] === '-' ? -1 : 1;
      const digits = zone.slice(1).replace(':', '');
      seconds -= sign * (Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2)) * 60);
    }
    return seconds;
  }
  if (/^[+-]?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(s)) {
    const n = Number(s);
    // Unix milliseconds pass 1e11 in 1973; Unix seconds reach it in 5138.
    return Math.abs(n) >= 1e11 ? n / 1000 : n;
  }
  return Number.NaN;
}
