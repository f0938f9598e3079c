/** Number, duration and time formatting shared by the charts, the panel and the CLI report. */

/** A value with its unit, at a precision a person reads at a glance ("0.92 s", "210 ms", "3.1 %"). */
export function formatValue(value: number, unit?: string): string {
  if (!Number.isFinite(value)) return String(value);
  if (unit === 's' || unit === 'seconds') {
    const abs = Math.abs(value);
    if (abs !== 0 && abs < 1) return `${trim(value * 1000)} ms`;
    return `${trim(value)} s`;
  }
  if (unit === 'ratio') return `${trim(value * 100)} %`;
  if (unit === '%' || unit === 'percent') return `${trim(value)} %`;
  const text = compact(value);
  return unit ? `${text} ${unit}` : text;
}

/** Three significant digits, no trailing zeros. */
function trim(value: number): string {
  if (value === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(value))));
  return Number(value.toFixed(Math.min(digits, 6))).toString();
}

function compact(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e9) return `${trim(value / 1e9)}G`;
  if (abs >= 1e6) return `${trim(value / 1e6)}M`;
  if (abs >= 1e4) return `${trim(value / 1e3)}k`;
  return trim(value);
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The calendar fields of a Unix time shifted by a fixed offset (pure: no host time zone). */
export function calendar(time: number, utcOffsetMinutes = 0): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
  const d = new Date((time + utcOffsetMinutes * 60) * 1000);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth(), day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() };
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function formatClock(time: number, utcOffsetMinutes = 0): string {
  const c = calendar(time, utcOffsetMinutes);
  return `${pad(c.hour)}:${pad(c.minute)}`;
}

export function formatDay(time: number, utcOffsetMinutes = 0): string {
  const c = calendar(time, utcOffsetMinutes);
  return `${months[c.month]} ${c.day}`;
}

/** "Wed Nov 18 14:02" */
export function formatDateTime(time: number, utcOffsetMinutes = 0): string {
  const c = calendar(time, utcOffsetMinutes);
  return `${weekdays[c.weekday]!.slice(0, 3)} ${months[c.month]} ${c.day} ${pad(c.hour)}:${pad(c.minute)}`;
}

export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min${Math.round(s - m * 60) ? ` ${Math.round(s - m * 60)} s` : ''}`;
  const h = Math.floor(m / 60);
  return `${h} h${m % 60 ? ` ${m % 60} min` : ''}`;
}
