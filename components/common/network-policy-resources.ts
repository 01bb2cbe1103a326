/**
 * Turns a component's NetworkPolicies into resources, children of the
 * component, named `<component>-netpol-<namespace>-<policy>` (unique: a
 * policy name is unique in its namespace).
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NetworkPolicy } from "./network-policy";

export function networkPolicyResources(
  component: string,
  policies: readonly NetworkPolicy[],
  opts: pulumi.CustomResourceOptions,
): k8s.networking.v1.NetworkPolicy[] {
  return policies.map(
    (p) =>
      new k8s.networking.v1.NetworkPolicy(
        `${component}-netpol-${p.metadata.namespace}-${p.metadata.name}`,
        p,
        opts,
      ),
  );
}
