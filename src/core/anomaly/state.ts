import { OpsloopError } from '../errors';

/**
 * Detector state as plain JSON, so a panel reopened later (or a CLI run resumed) continues where
 * it stopped. JSON has no NaN, so NaN (the detectors' "not yet known") travels as null.
 */
export type StateValue = number | null | string | boolean | StateValue[] | { [key: string]: StateValue };
export type DetectorState = { [key: string]: StateValue };

export function encodeNumber(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export function decodeNumber(x: StateValue | undefined): number {
  return typeof x === 'number' ? x : Number.NaN;
}

export function encodeArray(a: ArrayLike<number>): (number | null)[] {
  const out = new Array<number | null>(a.length);
  for (let i = 0; i < a.length; i++) out[i] = encodeNumber(a[i]!);
  return out;
}

/** Fills `target` from a saved array, which must have the same length. */
export function decodeInto(target: Float64Array, saved: StateValue | undefined, what: string): void {
  if (!Array.isArray(saved) || saved.length !== target.length) {
    throw new OpsloopError('invalidInput', `Saved anomaly-detector state is not valid (${what}).`, 'Start the detector afresh');
  }
  for (let i = 0; i < target.length; i++) target[i] = decodeNumber(saved[i]);
}

export function expectVersion(state: DetectorState, kind: string, version: number): void {
  if (state['kind'] !== kind || state['version'] !== version) {
    throw new OpsloopError('invalidInput', `Saved anomaly-detector state is for '${String(state['kind'])}' v${String(state['version'])}, not '${kind}' v${version}.`, 'Start the detector afresh');
  }
}
