/** A parsed JSON object (not null, not an array), so its fields can be read one by one and checked. */
export function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
