import type { AnomalyKind } from './anomaly';
import type { AnomalyMethod } from './component';

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** A number as a person reads it: three significant digits, no exponent for everyday sizes. */
export function formatValue(x: number, unit?: string): string {
  let text: string;
  if (!Number.isFinite(x)) text = String(x);
  else if (x === 0) text = '0';
  else {
    const a = Math.abs(x);
    if (a >= 1e6 || a < 1e-3) text = x.toPrecision(3).replace('e+', 'e');
    else if (a >= 100) text = String(Math.round(x));
    else text = String(Number(x.toPrecision(3)));
  }
  return unit ? `${text} ${unit}` : text;
}

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
  readonly unit?: string;
  readonly kind: AnomalyKind;
  readonly method: AnomalyMethod;
  readonly value: number;
  readonly baseline: number;
  readonly deviation: number;
  readonly onset: number;
  /** The seasonal slot the baseline belongs to, when it is a seasonal one. */
  readonly slot?: { readonly weekday: number; readonly startSeconds: number };
  readonly ongoing: boolean;
}

const methodWords: Record<AnomalyMethod, string> = {
  seasonal: 'seasonal baseline',
  level: 'recent level',
  changePoint: 'change-point test',
  context: 'sequence context',
  rarity: 'value history',
  extreme: 'record values',
  spectralResidual: 'spectral residual',
};

/**
 * One sentence: "p99 latency 0.92 s, 6.1 MADs above its usual 0.21 s for Tuesday 14:00, since
 * 14:05". Shifts and trends say so; the method that saw it most clearly closes the sentence.
 */
export function explain(input: ExplanationInput): string {
  const { name, unit, kind, value, baseline, deviation, onset, slot, ongoing } = input;
  const direction = deviation >= 0 ? 'above' : 'below';
  const mads = Math.abs(deviation);
  const distance = Number.isFinite(mads) ? `${mads >= 100 ? Math.round(mads) : mads.toFixed(1)} MADs ${direction}` : direction;
  const usual = Number.isFinite(baseline) ? ` its usual ${formatValue(baseline, unit)}` : ' its usual level';
  const when = slot ? ` for ${formatSlot(slot.weekday, slot.startSeconds)}` : '';
  const lead =
    kind === 'levelShift'
      ? `${name} shifted to ${formatValue(value, unit)}, ${distance}${usual}${when}`
      : kind === 'trend'
        ? `${name} has been ${deviation >= 0 ? 'climbing' : 'falling'} to ${formatValue(value, unit)}, ${distance}${usual}${when}`
        : `${name} ${formatValue(value, unit)}, ${distance}${usual}${when}`;
  return `${lead}, ${ongoing ? 'since' : 'from'} ${formatClock(onset)} (${methodWords[input.method]}).`;
}
