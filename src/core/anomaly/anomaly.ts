/**
 * An anomaly is a span (onset, peak, end) on one series, with what the detector expected and
 * why it thinks this is not that. Times are Unix seconds.
 */
export type AnomalyKind = 'spike' | 'dip' | 'levelShift' | 'trend' | 'variance' | 'pattern';

export interface Anomaly {
  readonly seriesKey: string;
  readonly kind: AnomalyKind;
  readonly onset: number;
  readonly peak: number;
  /** Undefined while the anomaly is still going on. */
  readonly end?: number;
  /** Highest score in the span, 0..1. */
  readonly score: number;
  /** The detector that contributed most ("seasonal", "changePoint", ...). */
  readonly method: string;
  readonly baseline: number;
  readonly value: number;
  /** Distance from the baseline in robust units (MADs). */
  readonly deviation: number;
  /** One sentence a person understands. */
  readonly explanation: string;
}
