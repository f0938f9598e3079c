/**
 * Job output kept in memory, capped (reliability item 17): the first part and the most recent
 * part are kept, with a visible marker between them saying how much was left out and where the
 * full log is. The full output goes to the log file, never through this.
 */

export interface CappedOutputOptions {
  /** Characters kept in total (head + tail). */
  readonly maxChars: number;
  /** Share of `maxChars` kept from the start; the rest is the most recent output. */
  readonly headShare?: number;
  /** Where the full log is, for the marker. */
  readonly logFile?: string;
}

export class CappedOutput {
  private head = '';
  private tailParts: string[] = [];
  private tailLength = 0;
  private omitted = 0;
  private total = 0;
  private readonly headMax: number;
  private readonly tailMax: number;

  constructor(private readonly options: CappedOutputOptions) {
    const max = Math.max(16, Math.floor(options.maxChars));
    this.headMax = Math.floor(max * (options.headShare ?? 0.25));
    this.tailMax = max - this.headMax;
  }

  get totalChars(): number {
    return this.total;
  }

  get truncated(): boolean {
    return this.omitted > 0;
  }

  append(text: string): void {
    if (text.length === 0) return;
    this.total += text.length;
    if (this.head.length < this.headMax) {
      const take = Math.min(this.headMax - this.head.length, text.length);
      this.head += text.slice(0, take);
      text = text.slice(take);
      if (text.length === 0) return;
    }
    this.tailParts.push(text);
    this.tailLength += text.length;
    if (this.tailLength > this.tailMax * 2) this.compact();
  }

  private compact(): void {
    const joined = this.tailParts.join('');
    const excess = joined.length - this.tailMax;
    if (excess > 0) {
      this.omitted += excess;
      this.tailParts = [joined.slice(excess)];
      this.tailLength = this.tailMax;
    } else {
      this.tailParts = [joined];
    }
  }

  /** The kept text, with the truncation marker where output was left out. */
  text(): string {
    this.compact();
    const tail = this.tailParts.join('');
    if (this.omitted === 0) return this.head + tail;
    return `${this.head}${truncationMarker(this.omitted, this.options.logFile)}${tail}`;
  }
}

export function truncationMarker(omittedChars: number, logFile?: string): string {
  const size = omittedChars >= 1_048_576 ? `${(omittedChars / 1_048_576).toFixed(1)} MiB` : omittedChars >= 1024 ? `${(omittedChars / 1024).toFixed(1)} KiB` : `${omittedChars} characters`;
  return `\n[… output truncated: ${size} not kept in memory${logFile ? `; the full log is in ${logFile}` : ''} …]\n`;
}
