/**
 * A record's own entry for a key that came from outside (a model name, an
 * upstream's stop reason): `record[key]` would also find "constructor" or
 * "toString" on Object.prototype.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined
}
