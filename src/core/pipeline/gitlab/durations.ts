/**
 * Human durations as GitLab reads them for `timeout` and `start_in` ("1h 30m", "3 hours",
 * "90 minutes", "1 day", "2h30m", "3600" = seconds, "1:30:00"). Returns seconds, or undefined
 * when the text is not a duration.
 */

const units: readonly [RegExp, number][] = [
  [/^(s|secs?|seconds?)$/, 1],
  [/^(m|mins?|minutes?)$/, 60],
  [/^(h|hrs?|hours?)$/, 3600],
  [/^(d|days?)$/, 86400],
  [/^(w|wks?|weeks?)$/, 7 * 86400],
  [/^(mo|mos|months?)$/, 30 * 86400],
  [/^(y|yrs?|years?)$/, 365 * 86400],
];

export function parseGitlabDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim().toLowerCase();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const clock = /^(\d+):(\d{1,2})(?::(\d{1,2}))?$/.exec(text);
  if (clock) {
    const [a, b, c] = [Number(clock[1]), Number(clock[2]), clock[3] === undefined ? undefined : Number(clock[3])];
    return c === undefined ? a * 60 + b : a * 3600 + b * 60 + c;
  }
  const tokens = text.replace(/,|\band\b/g, ' ').match(/\d+(?:\.\d+)?|[a-z]+/g);
  if (!tokens) return undefined;
  let total = 0;
  let pending: number | undefined;
  for (const token of tokens) {
    if (/^\d/.test(token)) {
      if (pending !== undefined) total += pending; // a bare number before another is seconds
      pending = Number(token);
      continue;
    }
    const unit = units.find(([re]) => re.test(token));
    if (!unit || pending === undefined) return undefined;
    total += pending * unit[1];
    pending = undefined;
  }
  if (pending !== undefined) total += pending;
  return total;
}
