/** A template or policy value that may be one item or a list (`Action`, `Resource`, `Roles`...) as a list; undefined is empty. */
export function toArray<T = unknown>(value: T | readonly T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? [...value] : [value as T];
}
