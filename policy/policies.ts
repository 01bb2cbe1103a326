/**
 * Every policy of the pack with its default enforcement level: the seed's
 * production lessons as mandatory gates, the design advice as advisories.
 * Kept apart from index.ts (which starts the pack) so tests and the bench can
 * evaluate the same list without starting a policy server.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "./common";
import { controlPlaneFlags } from "./controlplane";
import { imagePinning } from "./images";
import { leastPrivilege } from "./least-privilege";
import { privilegedOnlyWhereNeeded } from "./privileges";
import { probeTimeouts } from "./probes";
import { containerResources } from "./resources";
import { spread } from "./spread";
import { gracefulTerminationPolicy } from "./termination";
import { headlessUpstreams } from "./upstreams";
import { cpuLimitWorkerConsistency } from "./workers";

export type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

export function allPolicies(): AnyPolicy[] {
  return [
    probeTimeouts("mandatory"),
    cpuLimitWorkerConsistency("mandatory"),
    gracefulTerminationPolicy("mandatory"),
    containerResources("mandatory"),
    privilegedOnlyWhereNeeded("mandatory"),
    imagePinning("mandatory"),
    controlPlaneFlags("mandatory"),
    leastPrivilege("mandatory"),
    headlessUpstreams("advisory"),
    spread("advisory"),
  ];
}
