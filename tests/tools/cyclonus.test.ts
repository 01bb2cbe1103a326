/**
 * The reachability matrix, checked by an independent analyzer: cyclonus
 * (v0.5.6, built from its Go module by the toolchain) reads the same
 * NetworkPolicies the components create, as a NetworkPolicyList file, and
 * judges every connection of the matrix (`analyze --mode query-traffic`);
 * its verdicts must equal ours (components/common/network-policy.ts).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  NAMESPACE_NAME_LABEL,
  portKey,
  reachability,
  type Endpoint,
  type PolicyPort,
} from "../../components/common/network-policy";
import { networkFixture } from "../helpers/network";
import { describeWithTool } from "../helpers/tools";

/** cyclonus's TrafficPeer: pods are Internal (labels, namespace); hosts and outside addresses only have an IP. */
function peer(e: Endpoint) {
  const pod = e.namespace !== undefined && !e.hostNetwork;
  return {
    IP: e.ip,
    Internal: pod
      ? {
          PodLabels: e.labels ?? {},
          NamespaceLabels: { [NAMESPACE_NAME_LABEL]: e.namespace },
          Namespace: e.namespace,
        }
      : null,
  };
}

describeWithTool("cyclonus", "the reachability matrix against cyclonus", () => {
  it("gives the same verdict as ours for every connection of dc-a's matrix", () => {
    const { network } = networkFixture();
    const ours = reachability(network.policies, network.endpoints);
    const queries: { from: Endpoint; to: Endpoint; port: PolicyPort }[] = [];
    for (const from of network.endpoints)
      for (const to of network.endpoints)
        if (to !== from) for (const port of to.ports) queries.push({ from, to, port });

    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-cyclonus-"));
    try {
      const policyFile = path.join(dir, "policies.json");
      const trafficFile = path.join(dir, "traffic.json");
      fs.writeFileSync(
        policyFile,
        JSON.stringify({
          apiVersion: "networking.k8s.io/v1",
          kind: "NetworkPolicyList",
          items: network.policies,
        }),
      );
      fs.writeFileSync(
        trafficFile,
        JSON.stringify(
          queries.map((q) => ({
            Source: peer(q.from),
            Destination: peer(q.to),
            ResolvedPort: q.port.port,
            ResolvedPortName: "",
            Protocol: q.port.protocol ?? "TCP",
          })),
        ),
      );
      const out = execFileSync(
        "cyclonus",
        ["analyze", "--mode", "query-traffic", "--policy-path", policyFile, "--traffic-path", trafficFile],
        { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"] },
      );
      // One "Is allowed?" footer per traffic, in input order (tablewriter upper-cases footers).
      const verdicts = [...out.matchAll(/IS ALLOWED\?\s*\|\s*(TRUE|FALSE)/gi)].map(
        (m) => m[1].toLowerCase() === "true",
      );
      expect(verdicts).toHaveLength(queries.length);
      const disagreements = queries
        .map((q, i) => ({ q, theirs: verdicts[i], mine: ours[q.from.name][portKey(q.to, q.port)] }))
        .filter((d) => d.theirs !== d.mine)
        .map((d) => `${d.q.from.name} -> ${portKey(d.q.to, d.q.port)}: ours ${d.mine}, cyclonus ${d.theirs}`);
      expect(disagreements).toEqual([]);
      // The check is not vacuous: both verdicts occur.
      expect(new Set(verdicts)).toEqual(new Set([true, false]));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
