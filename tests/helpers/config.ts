/**
 * Fixtures for config tests: the real dc-c stack file as a raw object, and an
 * assertion that one mutation yields exactly the expected problem.
 */
import * as path from "path";
import { rawFromConfigMap, readStackFile } from "../../stacks/config";
import { readInventory } from "../../stacks/inventory";
import { buildModel, type DatacenterModel } from "../../stacks/model";
import { ConfigError } from "../../stacks/validate";
import type { Inventory } from "../../stacks/schema";

export const projectDir = path.join(__dirname, "..", "..");

/** A fresh, deep copy of a stack's raw config and its inventory. */
export function fixture(stack = "dc-c"): {
  raw: Record<string, unknown>;
  inventory: Inventory;
  inventoryPath: string;
} {
  const raw = rawFromConfigMap(readStackFile(path.join(projectDir, `Pulumi.${stack}.yaml`)));
  const inventoryPath = (raw.minions as { inventory: string }).inventory;
  const inventory = readInventory(projectDir, inventoryPath) as Inventory;
  // A JSON round trip, not structuredClone: under jest, structuredClone builds
  // arrays of another realm, which Pulumi's serializer does not see as arrays.
  return JSON.parse(JSON.stringify({ raw, inventory, inventoryPath }));
}

/** Builds the model of a (possibly mutated) fixture. */
export function modelOf(f: ReturnType<typeof fixture>): DatacenterModel {
  return buildModel(f.raw, f.inventory, f.inventoryPath);
}

/** The problems a mutated fixture produces (empty when valid). */
export function problems(f: ReturnType<typeof fixture>): string[] {
  try {
    modelOf(f);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.issues.map((i) => `${i.path}: ${i.message}`);
    throw e;
  }
}
