/**
 * node-tuning's NetworkPolicy: its agents run on the host network (they
 * write the host's sysctls and IRQ affinity and serve nothing), so no policy
 * applies to them; the default deny keeps a pod added there later closed.
 */
import { defaultDeny, type NetworkContribution } from "../common/network-policy";
import { TUNING_NAMESPACE } from "./daemonset";

export function minionNetwork(): NetworkContribution {
  return { policies: [defaultDeny(TUNING_NAMESPACE)], endpoints: [] };
}
