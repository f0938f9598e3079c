/**
 * Splits streamed text into lines for the line-based parsers (OpenMetrics, CSV, JSON lines,
 * Splunk's export). Only the new chunk is searched for line breaks, so a very long line costs
 * its length once, not once per chunk; a line longer than `maxLineLength` is dropped (and
 * reported) instead of growing without bound.
 */
export class LineSplitter {
  private carry = '';
  private skipping = false;
  /** 1-based number of the line last handed out (or being skipped). */
  lineNo = 0;

  constructor(
    /** Receives each line as `text.slice(start, end)`, without the line break (and `\r`). */
    private readonly onLine: (text: string, start: number, end: number) => void,
    private readonly maxLineLength = 16 * 1024 * 1024,
    private readonly onOverlong?: (line: number) => void,
  ) {}

  push(chunk: string): void {
    let nl = chunk.indexOf('\n');
    if (nl < 0) {
      this.hold(chunk);
      return;
    }
    let start = 0;
    if (this.carry.length > 0 || this.skipping) {
      const skipped = this.skipping;
      const first = this.carry + chunk.slice(0, nl);
      this.carry = '';
      this.skipping = false;
      this.lineNo++;
      if (!skipped) this.emit(first, 0, first.length);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    while (nl >= 0) {
      this.lineNo++;
      this.emit(chunk, start, nl);
      start = nl + 1;
      nl = chunk.indexOf('\n', start);
    }
    if (start < chunk.length) this.hold(chunk.slice(start));
  }

  /** Hands out the last line when the text did not end with a line break. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.carry = '';
      return;
    }
    if (this.carry.length > 0) {
      const rest = this.carry;
      this.carry = '';
      this.lineNo++;
      this.emit(rest, 0, rest.length);
    }
  }

  private hold(text: string): void {
    if (this.skipping) return;
    this.carry += text;
    if (this.carry.length > this.maxLineLength) {
      this.carry = '';
      this.skipping = true;
      this.onOverlong?.(this.lineNo + 1);
    }
  }

  private emit(text: string, start: number, end: number): void {
    if (end > start && text.charCodeAt(end - 1) === 13) end--;
    this.onLine(text, start, end);
  }
}
