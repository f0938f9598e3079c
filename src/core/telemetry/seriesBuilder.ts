/**
 * Growable parallel Float64Arrays for decoders: appends without boxing numbers into JS arrays,
 * which is what keeps decoding at millions of points per second.
 */
export class SeriesBuilder {
  private t: Float64Array;
  private v: Float64Array;
  private n = 0;

  constructor(capacity = 64) {
    this.t = new Float64Array(Math.max(4, capacity));
    this.v = new Float64Array(Math.max(4, capacity));
  }

  get length(): number {
    return this.n;
  }

  push(time: number, value: number): void {
    if (this.n === this.t.length) this.grow(this.n * 2);
    this.t[this.n] = time;
    this.v[this.n] = value;
    this.n++;
  }

  /** Makes room for `extra` more points at once (decoders that know the count call this). */
  reserve(extra: number): void {
    if (this.n + extra > this.t.length) this.grow(Math.max(this.n + extra, this.n * 2));
  }

  private grow(capacity: number): void {
    const t = new Float64Array(capacity);
    const v = new Float64Array(capacity);
    t.set(this.t.subarray(0, this.n));
    v.set(this.v.subarray(0, this.n));
    this.t = t;
    this.v = v;
  }

  /** Exactly-sized copies (the builder can keep growing afterwards). */
  build(): { times: Float64Array; values: Float64Array } {
    return { times: this.t.slice(0, this.n), values: this.v.slice(0, this.n) };
  }
}
