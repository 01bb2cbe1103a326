/**
 * Where the raw configuration comes from: the running Pulumi stack, or a
 * `Pulumi.<stack>.yaml` file read directly (tests, `npm run validate`, bench).
 * Both produce the same raw object, which `buildModel` validates.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_NAMESPACE, SECRET_KEYS } from "./schema";
import { buildModel, type DatacenterModel } from "./model";
import { readInventory } from "./inventory";
import { ConfigError } from "./validate";

const PREFIX = `${CONFIG_NAMESPACE}:`;
const isSecretKey = (key: string) => (SECRET_KEYS as readonly string[]).includes(key);

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
export function modelFromRaw(raw: Record<string, unknown>, projectDir: string): DatacenterModel {
  const minions = raw.minions as { inventory?: unknown } | undefined;
  const invPath = typeof minions?.inventory === "string" ? minions.inventory : undefined;
  if (!invPath) {
    // Without an inventory there is nothing to check the rest against; report
    // the schema's view of everything (it names the missing key) and stop.
    buildModel(raw, { datacenter: "", hosts: [] }, "(no inventory)");
    throw new ConfigError([
      { path: `${PREFIX}minions.inventory`, message: "is required (expected a path to a .yaml CMDB export)" },
    ]);
  }
  return buildModel(raw, readInventory(projectDir, invPath), invPath);
}

/** The model of a stack file, e.g. `loadStackFile("Pulumi.dc-a.yaml")`. */
export function loadStackFile(file: string): DatacenterModel {
  return modelFromRaw(rawFromConfigMap(readStackFile(file)), path.dirname(path.resolve(file)));
}
