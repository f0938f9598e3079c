import { formatValue } from '../charts/format';
import type { AnomalyKind } from './anomaly';

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** HH:MM (UTC) of a Unix-second time; the date too when `withDate`. */
export function formatClock(time: number, withDate = false): string {
  const d = new Date(Math.round(time) * 1000);
  if (Number.isNaN(d.getTime())) return '?';
  const hm = `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return withDate ? `${d.toISOString().slice(0, 10)} ${hm}` : hm;
}

/** "Tuesday 14:00" for a week slot, "14:00" for a day slot. */
export function formatSlot(weekday: number, slotStartSeconds: number): string {
  const h = Math.floor(slotStartSeconds / 3600);
  const m = Math.floor((slotStartSeconds % 3600) / 60);
  const hm = `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
  return weekday >= 0 ? `${weekdays[weekday]} ${hm}` : hm;
}

export interface ExplanationInput {
  readonly name: string;
  /** The series' unit as .opsloop.yml spells it ("s", "ratio", "req/s"); formatValue turns it into "920 ms", "3.1 %". */
  readonly unit?: string;
  readonly kind: AnomalyKind;
  readonly value: number;
  readonly baseline: number;
  readonly deviation: number;
  readonly onset: number;
  /** The seasonal slot the baseline belongs to, when it is a seasonal one with a few days (or weeks) behind it. */
  readonly slot?: { readonly weekday: number; readonly startSeconds: number };
  readonly ongoing: boolean;
}

/** Deviations from a baseline that does not vary (a MAD of 0) are capped here; the sentence says "far". */
export const farDeviation = 1e4;

/**
 * One sentence a person reads next to the chart: "p99 latency 920 ms, 6.1 MADs above its usual
 * 210 ms for Tuesday 14:00, since 14:05". Shifts and climbs say so; values carry their unit the
 * way the charts print them; times are UTC.
 */
export function explain(input: ExplanationInput): string {
  const { name, unit, kind, value, baseline, deviation, onset, slot, ongoing } = input;
  const direction = deviation >= 0 ? 'above' : 'below';
  const mads = Math.abs(deviation);
  const distance = !Number.isFinite(mads) ? direction : mads >= farDeviation ? `far ${direction}` : `${mads >= 100 ? Math.round(mads) : mads.toFixed(1)} MADs ${direction}`;
  const usual = Number.isFinite(baseline) ? ` its usual ${formatValue(baseline, unit)}` : ' its usual level';
  const when = slot ? ` for ${formatSlot(slot.weekday, slot.startSeconds)}` : '';
  const shown = formatValue(value, unit);
  const lead =
    kind === 'levelShift'
      ? `${name} shifted to ${shown}, ${distance}${usual}${when}`
      : kind === 'trend'
        ? `${name} has been ${deviation >= 0 ? 'climbing' : 'falling'} to ${shown}, ${distance}${usual}${when}`
        : `${name} ${shown}, ${distance}${usual}${when}`;
  return `${lead}, ${ongoing ? 'since' : 'from'} ${formatClock(onset)}.`;
}
