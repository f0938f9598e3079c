/**
 * Masks secret values in job output (reliability item 7): the value itself, its base64 forms
 * (standard and URL-safe, also when the secret sits inside a longer encoded text such as
 * `user:token` in a Basic auth header) and its URL-encoded forms. A stream holds back only the
 * few characters at the end of a chunk that could be the start of a secret, so a secret split
 * across two chunks is still masked, and output is not delayed otherwise.
 */

export const maskText = '[MASKED]';

/** Shorter values are not masked: masking "1" would erase every digit of a log. */
export const minSecretLength = 4;
/** An encoded form shorter than this is not masked on its own (too many false hits). */
const minFormLength = 6;

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += base64Alphabet[(n >> 18) & 63]! + base64Alphabet[(n >> 12) & 63]! + base64Alphabet[(n >> 6) & 63]! + base64Alphabet[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += base64Alphabet[(n >> 18) & 63]! + base64Alphabet[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += base64Alphabet[(n >> 18) & 63]! + base64Alphabet[(n >> 12) & 63]! + base64Alphabet[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * The base64 characters that depend only on the secret's bytes, for each of the three positions
 * the secret can have relative to base64's 3-byte groups.
 */
function base64Forms(value: string): string[] {
  const bytes = new TextEncoder().encode(value);
  const forms: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const padded = new Uint8Array(offset + bytes.length);
    padded.set(bytes, offset);
    const encoded = base64(padded);
    const first = Math.ceil((offset * 8) / 6);
    const last = Math.floor(((offset + bytes.length) * 8) / 6); // exclusive
    const stable = encoded.slice(first, last);
    if (stable.length >= minFormLength) forms.push(stable);
    // At offset 0 the whole encoding, with its padding, is exact when the secret is all the data.
    if (offset === 0 && encoded.length >= minFormLength) {
      forms.push(encoded);
      if (encoded.length % 4 !== 0) forms.push(encoded + '='.repeat(4 - (encoded.length % 4)));
    }
  }
  const urlSafe = forms.map((f) => f.replace(/\+/g, '-').replace(/\//g, '_'));
  return [...forms, ...urlSafe];
}

function urlForms(value: string): string[] {
  const encoded = encodeURIComponent(value);
  if (encoded === value) return [];
  const lower = encoded.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
  const form = encoded.replace(/%20/g, '+');
  // Characters encodeURIComponent leaves alone but stricter encoders escape.
  const strict = encoded.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return [encoded, lower, form, strict];
}

/** Every text form of `value` that is masked. */
export function secretForms(value: string): string[] {
  if (value.length < minSecretLength) return [];
  const forms = new Set<string>([value, ...base64Forms(value), ...urlForms(value)]);
  return [...forms].filter((f) => f.length >= Math.min(minFormLength, value.length));
}

export interface MaskingStream {
  /** Masks `text`; returns what can be shown now (a possible secret's start is held back). */
  push(text: string): string;
  /** The held-back rest, masked; call when the stream ends. */
  flush(): string;
}

export class SecretMasker {
  private readonly patterns: string[];
  private readonly maxLength: number;

  constructor(secrets: Iterable<string>) {
    const all = new Set<string>();
    for (const secret of secrets) for (const form of secretForms(secret)) all.add(form);
    // Longest first: at one position the longest form wins.
    this.patterns = [...all].sort((a, b) => b.length - a.length);
    this.maxLength = this.patterns.length > 0 ? this.patterns[0]!.length : 0;
  }

  get active(): boolean {
    return this.patterns.length > 0;
  }

  /** Masks a whole text at once. */
  mask(text: string): string {
    if (this.patterns.length === 0) return text;
    return this.replaceAll(text).text;
  }

  stream(): MaskingStream {
    let carry = '';
    return {
      push: (text: string): string => {
        if (this.patterns.length === 0) return text;
        const buffer = carry + text;
        // Text from `hold` on could still become (a longer) secret: it waits for the next chunk.
        const hold = this.holdStart(buffer, 0);
        const { text: masked, safeFrom } = this.replaceAll(buffer, hold);
        const keep = safeFrom > hold ? this.holdStart(buffer, safeFrom) : hold;
        carry = buffer.slice(keep);
        return masked.slice(0, masked.length - (buffer.length - keep));
      },
      flush: (): string => {
        const rest = carry;
        carry = '';
        return this.mask(rest);
      },
    };
  }

  /**
   * Replaces every occurrence that starts before `limit`, leftmost first and longest at a
   * position. `safeFrom` is the index in the input after the last replacement.
   */
  private replaceAll(input: string, limit = input.length): { text: string; safeFrom: number } {
    const next = this.patterns.map((p) => input.indexOf(p));
    let out = '';
    let position = 0;
    for (;;) {
      let best = -1;
      let bestIndex = Infinity;
      for (let i = 0; i < this.patterns.length; i++) {
        let at = next[i]!;
        if (at >= 0 && at < position) {
          at = input.indexOf(this.patterns[i]!, position);
          next[i] = at;
        }
        if (at >= 0 && at < bestIndex) {
          bestIndex = at;
          best = i;
        }
      }
      if (best < 0 || bestIndex >= limit) break;
      out += input.slice(position, bestIndex) + maskText;
      position = bestIndex + this.patterns[best]!.length;
    }
    return { text: out + input.slice(position), safeFrom: position };
  }

  /**
   * The first index at or after `from` where the rest of `text` is the start of a pattern that
   * does not fit yet (so it could still become a match); `text.length` when there is none.
   */
  private holdStart(text: string, from: number): number {
    const start = Math.max(from, text.length - (this.maxLength - 1));
    for (let i = start; i < text.length; i++) {
      const rest = text.length - i;
      const first = text.charCodeAt(i);
      for (const pattern of this.patterns) {
        if (pattern.length <= rest || pattern.charCodeAt(0) !== first) continue;
        if (pattern.startsWith(text.slice(i))) return i;
      }
    }
    return text.length;
  }
}
