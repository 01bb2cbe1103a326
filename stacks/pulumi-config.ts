/**
 * The model of the running stack, from Pulumi's config. Invalid config becomes
 * a RunError: Pulumi prints the list of problems without a stack trace, and
 * no resource has been registered yet.
 */
import * as pulumi from "@pulumi/pulumi";
import {
  configKeyIssues,
  modelFromRaw,
  rawFromConfigMap,
  secretsFromConfigMap,
  stackNameIssues,
} from "./config";
import type { DatacenterModel } from "./model";
import { ConfigError } from "./validate";

export function modelFromPulumiConfig(projectDir = process.cwd()): DatacenterModel {
  try {
    const map = pulumi.runtime.allConfig();
    const raw = rawFromConfigMap(map);
    const model = modelFromRaw(
      raw,
      projectDir,
      [...configKeyIssues(map), ...stackNameIssues(raw, pulumi.getStack())],
      secretsFromConfigMap(map),
    );
    for (const w of model.warnings) pulumi.log.warn(`${w.path}: ${w.message}`);
    return model;
  } catch (e) {
    if (e instanceof ConfigError) throw new pulumi.RunError(`stack ${pulumi.getStack()}: ${e.message}`);
    throw e;
  }
}
