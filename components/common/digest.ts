import * as crypto from "crypto";

/** A short, stable content digest: a change marker for annotations and outputs. */
export function digest(...parts: readonly string[]): string {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(`${p}\0`);
  return h.digest("hex").slice(0, 16);
}
