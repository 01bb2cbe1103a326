/** Quotes a value for bash (single quotes; embedded ones closed and escaped). */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
