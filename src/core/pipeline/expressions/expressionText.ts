/**
 * Small pieces that the expression languages of GitHub Actions and Azure Pipelines share. Both
 * come from the same .NET library: strings in single quotes with '' for a quote, and names and
 * string comparisons that ignore case the way .NET's `OrdinalIgnoreCase` does (each character
 * mapped to its simple upper case, then compared by code unit).
 */
import { OpsloopError } from '../../errors';

/**
 * Reads the single-quoted string whose opening quote is at `start`. Returns its value and the
 * index after the closing quote; throws OpsloopError('invalidInput') when it is not closed.
 */
export function readQuotedString(source: string, start: number): { readonly value: string; readonly end: number } {
  let value = '';
  let from = start + 1;
  for (;;) {
    const quote = source.indexOf("'", from);
    if (quote < 0) throw new OpsloopError('invalidInput', `Unterminated string at position ${start + 1}.`);
    value += source.slice(from, quote);
    if (source[quote + 1] !== "'") return { value, end: quote + 1 };
    value += "'";
    from = quote + 2;
  }
}

// Printable ASCII (and tabs, line ends) upper-cases without changing length; the rest goes char by char.
const beyondPlainAscii = /[^\t\n\r -~]/;

/** Upper case character by character, keeping the length (`ß` stays `ß`, as in .NET). */
export function foldCase(text: string): string {
  if (!beyondPlainAscii.test(text)) return text.toUpperCase();
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const upper = c.toUpperCase();
    out += upper.length === 1 ? upper : c;
  }
  return out;
}

/** Negative, zero or positive, as .NET's `String.Compare(a, b, OrdinalIgnoreCase)`. */
export function compareIgnoringCase(a: string, b: string): number {
  const x = foldCase(a);
  const y = foldCase(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** The key of `record` that equals `name` ignoring case (an exact match first), or undefined. */
export function findKeyIgnoringCase(record: object, name: string): string | undefined {
  if (Object.prototype.hasOwnProperty.call(record, name)) return name;
  const wanted = foldCase(name);
  for (const key of Object.keys(record)) if (foldCase(key) === wanted) return key;
  return undefined;
}
