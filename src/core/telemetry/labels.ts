/**
 * Labels come from outside (metric labels, CSV headers, log fields). A label may be called
 * `__proto__`; assigning it with `obj[name] = v` would change the object's prototype instead of
 * adding a label, so labels are always defined as own properties.
 */
export function setLabel(labels: Record<string, string>, name: string, value: string): void {
  Object.defineProperty(labels, name, { value, enumerable: true, writable: true, configurable: true });
}

export function hasLabel(labels: Readonly<Record<string, string>>, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(labels, name);
}

/** A label's value, only when it is the object's own (never one inherited from Object.prototype). */
export function labelValue(labels: Readonly<Record<string, string>>, name: string): string | undefined {
  return hasLabel(labels, name) ? labels[name] : undefined;
}
