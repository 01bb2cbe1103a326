/**
 * Where the raw configuration comes from: the running Pulumi stack, or a
 * `Pulumi.<stack>.yaml` file read directly (tests, `npm run validate`, bench).
 * Both produce the same raw object, which `buildModel` validates.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, SECRET_KEYS } from "./schema";
import { buildModel, type DatacenterModel, type ModelSecrets } from "./model";
import { readInventory } from "./inventory";
import { ConfigError, type ConfigIssue } from "./validate";

const PREFIX = `${CONFIG_NAMESPACE}:`;
const isSecretKey = (key: string) => (SECRET_KEYS as readonly string[]).includes(key);

/**
 * Config namespaces a stack file may use besides ours: Pulumi's own and the
 * providers the program uses. A key in any other namespace is read by
 * nothing, so a typo (`private-clod:masters`) would silently drop a section.
 */
export const FOREIGN_NAMESPACES = ["pulumi", "kubernetes", "command", "random"] as const;

/** Keys of a config map that nothing would read: an unknown namespace, or no namespace at all. */
export function configKeyIssues(map: Record<string, unknown>): ConfigIssue[] {
  const known = [CONFIG_NAMESPACE, ...FOREIGN_NAMESPACES] as readonly string[];
  return Object.keys(map)
    .filter((key) => !known.includes(key.split(":")[0]) || !key.includes(":"))
    .map((key) => ({
      path: key,
      message: key.includes(":")
        ? `unknown config namespace ${JSON.stringify(key.split(":")[0])}: nothing reads this key (expected ${PREFIX}${key.slice(key.indexOf(":") + 1)}, or a provider's namespace: ${FOREIGN_NAMESPACES.join(", ")})`
        : `has no config namespace: nothing reads this key (expected ${PREFIX}${key})`,
    }));
}

/**
 * A stack file run as another stack (a copied file, a wrong `--stack`) would
 * deploy one datacenter's names over another's: `datacenter.name` must be
 * the stack's name.
 */
export function stackNameIssues(raw: Record<string, unknown>, stack: string | undefined): ConfigIssue[] {
  const name = (raw.datacenter as { name?: unknown } | undefined)?.name;
  if (stack === undefined || typeof name !== "string" || name === stack) return [];
  return [
    {
      path: `${PREFIX}datacenter.name`,
      message: `${JSON.stringify(name)} does not match the stack ${JSON.stringify(stack)} it is run as (expected ${JSON.stringify(stack)}, or run it as stack ${JSON.stringify(name)})`,
    },
  ];
}

/**
 * Turns `{ "private-cloud:masters": <value or JSON text> }` into `{ masters: <value> }`.
 * Keys of other namespaces (`kubernetes:`, `pulumi:`) are not ours and are left alone.
 */
export function rawFromConfigMap(map: Record<string, unknown>): Record<string, unknown> {
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(map)) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    if (isSecretKey(name)) continue;
    raw[name] = typeof value === "string" ? parseMaybeJson(value) : value;
  }
  return raw;
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Reads the `config:` map of a stack file. */
export function readStackFile(file: string): Record<string, unknown> {
  const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> } | null;
  return doc?.config ?? {};
}

/** Builds the model from raw config; the inventory path in config is resolved against `projectDir`. */
export function modelFromRaw(
  raw: Record<string, unknown>,
  projectDir: string,
  preIssues: readonly ConfigIssue[] = [],
  secrets: ModelSecrets = {},
): DatacenterModel {
  const minions = raw.minions as { inventory?: unknown } | undefined;
  const invPath = typeof minions?.inventory === "string" ? minions.inventory : undefined;
  if (!invPath) {
    // Without an inventory there is nothing to check the rest against; report
    // the schema's view of everything (it names the missing key) and stop.
    buildModel(raw, { datacenter: "", hosts: [] }, "(no inventory)", preIssues);
    throw new ConfigError([
      { path: `${PREFIX}minions.inventory`, message: "is required (expected a path to a .yaml CMDB export)" },
    ]);
  }
  return buildModel(raw, readInventory(projectDir, invPath), invPath, preIssues, secrets);
}

/** The secret config keys of a config map, parsed (Pulumi hands objects over as JSON text). */
export function secretsFromConfigMap(map: Record<string, unknown>): { tls?: unknown } {
  const tls = map[`${PREFIX}tls`];
  return { tls: typeof tls === "string" ? parseMaybeJson(tls) : tls };
}

/**
 * `private-cloud:tls` as a stack file holds it: certificates in clear (they
 * are public), private keys as `{secure: …}` (encrypted): the keys are left
 * out, and the certificates are still checked (names, validity, chain).
 */
function fileTls(tls: unknown): unknown {
  if (typeof tls !== "object" || tls === null || Array.isArray(tls)) return tls;
  return Object.fromEntries(
    Object.entries(tls as Record<string, unknown>).map(([name, entry]) => {
      if (typeof entry !== "object" || entry === null) return [name, entry];
      const { privateKey, ...rest } = entry as Record<string, unknown>;
      return [name, typeof privateKey === "string" ? { ...rest, privateKey } : rest];
    }),
  );
}

/** The model of a stack file, e.g. `loadStackFile("Pulumi.dc-a.yaml")`. */
export function loadStackFile(file: string): DatacenterModel {
  const map = readStackFile(file);
  const raw = rawFromConfigMap(map);
  const stack = /^Pulumi\.([^.]+)\.yaml$/.exec(path.basename(file))?.[1];
  return modelFromRaw(
    raw,
    path.dirname(path.resolve(file)),
    [...configKeyIssues(map), ...stackNameIssues(raw, stack)],
    { tls: fileTls(secretsFromConfigMap(map).tls), keysReadable: false },
  );
}
