/**
 * The node-tuning DaemonSet of one machine class, as plain Kubernetes objects.
 */
import { platformNamespaces } from "../../stacks/namespaces";
import type * as k8s from "@pulumi/kubernetes";
import { labelKeys, managedBy } from "../../stacks/labels";
import { readinessTiming } from "../common/probes";
import { digest } from "../common/digest";
import { profileFile, TUNING_SCRIPT, type TuningProfile } from "./tuning";

export const TUNING_NAMESPACE = platformNamespaces.nodeTuning.name;

export interface TuningObjects {
  readonly configMap: k8s.types.input.core.v1.ConfigMap;
  readonly daemonSet: k8s.types.input.apps.v1.DaemonSet;
}

/** Object names are DNS labels: machine types already are. */
export function tuningObjects(
  profile: TuningProfile,
  image: string,
  serviceAccountName: string,
): TuningObjects {
  const name = `tune-${profile.machineType}`;
  const labels = {
    ...managedBy,
    "app.kubernetes.io/name": "node-tuning",
    "private-cloud.io/machine-type": profile.machineType,
  };
  return {
    configMap: {
      metadata: { name, namespace: TUNING_NAMESPACE, labels },
      data: { profile: profileFile(profile), "tune.sh": TUNING_SCRIPT },
    },
    daemonSet: {
      metadata: { name, namespace: TUNING_NAMESPACE, labels },
      spec: {
        selector: {
          matchLabels: {
            "app.kubernetes.io/name": "node-tuning",
            "private-cloud.io/machine-type": profile.machineType,
          },
        },
        // One node at a time: a bad profile shows on one node before it spreads.
        updateStrategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
        template: {
          metadata: {
            labels,
            // A profile change must restart the agents (the ConfigMap alone would not).
            annotations: { "private-cloud.io/profile-hash": digest(profileFile(profile), TUNING_SCRIPT) },
          },
          spec: {
            serviceAccountName,
            automountServiceAccountToken: false,
            nodeSelector: { [labelKeys.machineType]: profile.machineType },
            // Tuning applies to every node of the class, whatever taints it carries.
            tolerations: [{ operator: "Exists" }],
            priorityClassName: "system-node-critical",
            // net.* sysctls are per network namespace: the host's are reached only from the host's.
            hostNetwork: true,
            // modprobe and swapoff act on the host through nsenter into PID 1's mount namespace.
            hostPID: true,
            containers: [
              {
                name: "tune",
                image,
                command: [
                  "/bin/bash",
                  "/etc/node-tuning/tune.sh",
                  "--profile",
                  "/etc/node-tuning/profile",
                  "--interval",
                  "300",
                ],
                env: [
                  { name: "ROOT", value: "/host" },
                  { name: "HOST_EXEC", value: "nsenter -t 1 -m --" },
                ],
                securityContext: { privileged: true },
                resources: {
                  requests: { cpu: "10m", memory: "32Mi" },
                  limits: { cpu: "100m", memory: "64Mi" },
                },
                readinessProbe: { exec: { command: ["test", "-f", "/tmp/tuned"] }, ...readinessTiming },
                volumeMounts: [
                  { name: "profile", mountPath: "/etc/node-tuning", readOnly: true },
                  { name: "host-proc", mountPath: "/host/proc" },
                  { name: "host-sys", mountPath: "/host/sys" },
                ],
              },
            ],
            volumes: [
              { name: "profile", configMap: { name } },
              { name: "host-proc", hostPath: { path: "/proc", type: "Directory" } },
              { name: "host-sys", hostPath: { path: "/sys", type: "Directory" } },
            ],
          },
        },
      },
    },
  };
}
