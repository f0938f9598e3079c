/**
 * Decimal text → number without cutting a substring first: the decoders' inner loop. Uses the
 * exact fast path (Clinger 1990): a mantissa of at most 15 significant digits is exact as a
 * double, so is 10^k for k <= 22, and one multiplication or division rounds correctly — the
 * result is bit for bit what `Number(text)` gives. Anything outside the fast path (more digits,
 * larger exponents, hex, Infinity) returns undefined and the caller uses `Number`.
 */
const pow10 = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22];

export function parseDecimal(text: string, from: number, to: number): number | undefined {
  let i = from;
  let negative = false;
  let c = text.charCodeAt(i);
  if (c === 45 /* - */) {
    negative = true;
    c = text.charCodeAt(++i);
  } else if (c === 43 /* + */) c = text.charCodeAt(++i);
  let mantissa = 0;
  let significant = 0;
  let exponent = 0;
  let digits = 0;
  while (i < to && c >= 48 && c <= 57) {
    if (significant > 0 || c !== 48) {
      if (++significant > 15) return undefined;
      mantissa = mantissa * 10 + (c - 48);
    }
    digits++;
    c = text.charCodeAt(++i);
  }
  if (i < to && c === 46 /* . */) {
    c = text.charCodeAt(++i);
    while (i < to && c >= 48 && c <= 57) {
      if (significant > 0 || c !== 48) {
        if (++significant > 15) return undefined;
        mantissa = mantissa * 10 + (c - 48);
      }
      exponent--;
      digits++;
      c = text.charCodeAt(++i);
    }
  }
  if (digits === 0) return undefined;
  if (i < to && (c === 101 || c === 69) /* e E */) {
    c = text.charCodeAt(++i);
    let expNegative = false;
    if (c === 45) {
      expNegative = true;
      c = text.charCodeAt(++i);
    } else if (c === 43) c = text.charCodeAt(++i);
    let e = 0;
    let expDigits = 0;
    while (i < to && c >= 48 && c <= 57) {
      e = e * 10 + (c - 48);
      if (e > 400) return undefined;
      expDigits++;
      c = text.charCodeAt(++i);
    }
    if (expDigits === 0) return undefined;
    exponent += expNegative ? -e : e;
  }
  if (i !== to) return undefined;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * pow10[exponent]!;
  else if (exponent < 0 && exponent >= -22) value = mantissa / pow10[-exponent]!;
  else return undefined;
  return negative ? -value : value;
}

/** Where `readDecimalBytes` leaves its number: returning a double from a call that is not inlined allocates one. */
export const decimalResult = new Float64Array(1);

/**
 * `parseDecimal` over UTF-8 bytes (the file source reads bytes; no text is decoded for
 * numbers). Returns true and leaves the number in `decimalResult[0]`, or false outside the fast path.
 */
export function readDecimalBytes(bytes: Uint8Array, from: number, to: number): boolean {
  let i = from;
  let negative = false;
  let c = i < to ? bytes[i]! : -1;
  if (c === 45) {
    negative = true;
    c = ++i < to ? bytes[i]! : -1;
  } else if (c === 43) c = ++i < to ? bytes[i]! : -1;
  let mantissa = 0;
  let significant = 0;
  let exponent = 0;
  let digits = 0;
  while (c >= 48 && c <= 57) {
    if (significant > 0 || c !== 48) {
      if (++significant > 15) return false;
      mantissa = mantissa * 10 + (c - 48);
    }
    digits++;
    c = ++i < to ? bytes[i]! : -1;
  }
  if (c === 46) {
    c = ++i < to ? bytes[i]! : -1;
    while (c >= 48 && c <= 57) {
      if (significant > 0 || c !== 48) {
        if (++significant > 15) return false;
        mantissa = mantissa * 10 + (c - 48);
      }
      exponent--;
      digits++;
      c = ++i < to ? bytes[i]! : -1;
    }
  }
  if (digits === 0) return false;
  if (c === 101 || c === 69) {
    c = ++i < to ? bytes[i]! : -1;
    let expNegative = false;
    if (c === 45) {
      expNegative = true;
      c = ++i < to ? bytes[i]! : -1;
    } else if (c === 43) c = ++i < to ? bytes[i]! : -1;
    let e = 0;
    let expDigits = 0;
    while (c >= 48 && c <= 57) {
      e = e * 10 + (c - 48);
      if (e > 400) return false;
      expDigits++;
      c = ++i < to ? bytes[i]! : -1;
    }
    if (expDigits === 0) return false;
    exponent += expNegative ? -e : e;
  }
  if (i !== to) return false;
  let value: number;
  if (mantissa === 0) value = 0;
  else if (exponent === 0) value = mantissa;
  else if (exponent > 0 && exponent <= 22) value = mantissa * pow10[exponent]!;
  else if (exponent < 0 && exponent >= -22) value = mantissa / pow10[-exponent]!;
  else return false;
  decimalResult[0] = negative ? -value : value;
  return true;
}

/** `readDecimalBytes` returning the number (or undefined), for code off the hot path. */
export function parseDecimalBytes(bytes: Uint8Array, from: number, to: number): number | undefined {
  return readDecimalBytes(bytes, from, to) ? decimalResult[0] : undefined;
}
