/**
 * Config and inventory checked together, one module per domain. Each rule
 * lives in exactly one module; they all report into one collector, so the
 * user gets every problem at once, before anything is registered.
 */
import type { ConfigIssue } from "../validate";
import type { Inventory, StackConfig } from "../schema";
import { checkContext } from "./context";
import { functionChecks, inventoryChecks } from "./inventory";
import { addressChecks } from "./addresses";
import { masterChecks } from "./masters";
import { apiChecks } from "./api";
import { bgpChecks } from "./bgp";
import { lvsChecks } from "./lvs";
import { trafficChecks, trafficWarnings } from "./traffic";
import { monitoringChecks } from "./monitoring";
import { loggingChecks } from "./logging";

export { masterCountProblem } from "./masters";
export { isPrivateAsn, reservedAsnReason } from "./bgp";
export { ES_MASTER_NODES } from "./logging";
export { MAX_SERVICE_CIDR_HOST_BITS } from "./addresses";

/** Every problem of a schema-valid config and inventory (empty when they are consistent). */
export function crossChecks(cfg: StackConfig, inv: Inventory, inventoryPath: string): ConfigIssue[] {
  const ctx = checkContext(cfg, inv, inventoryPath);
  for (const check of [
    inventoryChecks,
    addressChecks,
    masterChecks,
    apiChecks,
    bgpChecks,
    lvsChecks,
    functionChecks,
    trafficChecks,
    monitoringChecks,
    loggingChecks,
  ])
    check(ctx);
  return ctx.issues.issues;
}

/** What is not refused but should be said (printed by `npm run validate` and the Pulumi program). */
export function crossWarnings(cfg: StackConfig, inv: Inventory, inventoryPath: string): ConfigIssue[] {
  const ctx = checkContext(cfg, inv, inventoryPath);
  trafficWarnings(ctx);
  return ctx.issues.issues;
}
