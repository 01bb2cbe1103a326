import * as crypto from "crypto";

/** A short, stable content digest: a change marker for annotations and outputs. */
export function digest(...parts: readonly string[]): string {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(`${p}\0`);
  return h.digest("hex").slice(0, 16);
}

/**
 * `<base>-<10 hex digits of the content>`: the name of a ConfigMap or Secret
 * a workload mounts or reads. A content change is then a new object, created
 * before the workload moves to it and the old one deleted after (Pulumi's
 * create-before-delete), which also rolls the workload. A fixed name is
 * replaced delete-first: an interrupt in between left the ingress controller
 * without its ConfigMap until the next `up` (issue 14).
 */
export function contentName(base: string, data: Readonly<Record<string, string>>): string {
  const keys = Object.keys(data).sort();
  return `${base}-${digest(...keys.flatMap((k) => [k, data[k]])).slice(0, 10)}`;
}
