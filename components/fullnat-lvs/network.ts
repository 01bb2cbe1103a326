/**
 * The LVS tier in the network matrix. lvs-system holds no pods (the
 * director agents run as systemd units on the directors, outside
 * Kubernetes), and gets the default deny so a pod added there starts closed.
 * The agents serve their metrics on each director's address
 * (LVS_EXPORTER_PORT): no NetworkPolicy can guard a host, so business pods
 * are kept from them by their own namespaces' egress (ingress-tier/network.ts);
 * Prometheus's egress is open and reaches them.
 */
import type { DatacenterModel } from "../../stacks/model";
import { defaultDeny, type Endpoint, type NetworkContribution } from "../common/network-policy";
import { LVS_EXPORTER_PORT, directorHosts } from "./directors";
import { LVS_NAMESPACE } from "./sync";

export function lvsNetwork(model: DatacenterModel): NetworkContribution {
  const endpoints: Endpoint[] = directorHosts(model).map((h) => ({
    name: `lvs-director/${h.hostname}`,
    ip: h.ip,
    ports: [{ port: LVS_EXPORTER_PORT }],
  }));
  // FULLNAT traffic reaches the real servers from a local address (LIP) of a director.
  const lips = model.config.lvs?.localAddressRanges ?? [];
  if (lips.length > 0) {
    const [base] = lips[0].split("/");
    const parts = base.split(".").map(Number);
    parts[3] += 1;
    endpoints.push({ name: "lvs-path/local-address", ip: parts.join("."), ports: [] });
  }
  return { policies: [defaultDeny(LVS_NAMESPACE)], endpoints };
}
