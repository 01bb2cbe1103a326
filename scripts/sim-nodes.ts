/**
 * Prints the Kubernetes objects `npm run sim:up` registers for the simulated
 * datacenter: one kwok-managed Node per inventory host (CMDB labels, capacity
 * from the CMDB, control-plane taint on masters), and the local volumes the
 * monitoring and logging machines would have (a StorageClass without a
 * provisioner plus static local PersistentVolumes, as on the real fleet).
 *
 *   npx ts-node --transpile-only scripts/sim-nodes.ts Pulumi.sim.yaml
 */
import { stringify } from "yaml";
import { loadStackFile } from "../stacks/config";
import { nodeLabels, type DatacenterModel } from "../stacks/model";
import type { Host } from "../stacks/schema";

/** Local volumes per monitoring/logging host, and their size (larger than any claim the sim makes). */
const VOLUMES_PER_HOST = 6;
const VOLUME_GIB = 1024;

function node(model: DatacenterModel, host: Host, master: boolean): object {
  const capacity = {
    cpu: String(host.cores),
    memory: `${host.memoryGiB}Gi`,
    pods: "110",
    "ephemeral-storage": "1800Gi",
  };
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: host.hostname,
      annotations: { "kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0" },
      labels: {
        ...nodeLabels(host),
        "kubernetes.io/hostname": host.hostname,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "private-cloud.io/simulated": "true",
        ...(master ? { "node-role.kubernetes.io/control-plane": "" } : {}),
      },
    },
    spec: master ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] } : {},
    status: {
      capacity,
      allocatable: capacity,
      addresses: [
        { type: "InternalIP", address: host.ip },
        { type: "Hostname", address: host.hostname },
      ],
      nodeInfo: {
        kubeletVersion: model.config.kubernetes.version,
        kubeProxyVersion: model.config.kubernetes.version,
        architecture: "amd64",
        operatingSystem: "linux",
        containerRuntimeVersion: "kwok",
        kernelVersion: "5.10.0",
        osImage: "simulated",
        machineID: "",
        systemUUID: "",
        bootID: "",
      },
    },
  };
}

function localVolumes(model: DatacenterModel): object[] {
  const classes = new Set([model.config.monitoring.storageClass, model.config.logging.storageClass]);
  const out: object[] = [...classes].map((name) => ({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: { name },
    provisioner: "kubernetes.io/no-provisioner",
    // Local disks: bind when the pod is scheduled, keep the data when the claim goes.
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Retain",
  }));
  for (const host of model.minions.filter((h) => h.function === "monitoring" || h.function === "logging")) {
    const storageClassName =
      host.function === "monitoring"
        ? model.config.monitoring.storageClass
        : model.config.logging.storageClass;
    for (let i = 1; i <= VOLUMES_PER_HOST; i++) {
      out.push({
        apiVersion: "v1",
        kind: "PersistentVolume",
        metadata: { name: `${host.hostname}-vol${i}`, labels: { "private-cloud.io/simulated": "true" } },
        spec: {
          capacity: { storage: `${VOLUME_GIB}Gi` },
          accessModes: ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Retain",
          storageClassName,
          local: { path: `/data/vol${i}` },
          nodeAffinity: {
            required: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: "kubernetes.io/hostname", operator: "In", values: [host.hostname] },
                  ],
                },
              ],
            },
          },
        },
      });
    }
  }
  return out;
}

/** Every object `npm run sim:up` registers for a datacenter model: its Nodes, then the local volumes. */
export function simObjects(model: DatacenterModel): object[] {
  const masters = new Set(model.config.masters.hostnames);
  return [
    ...model.inventory.hosts.map((h) => node(model, h, masters.has(h.hostname))),
    ...localVolumes(model),
  ];
}

if (require.main === module) {
  const model = loadStackFile(process.argv[2] ?? "Pulumi.sim.yaml");
  process.stdout.write(
    stringify(
      { apiVersion: "v1", kind: "List", items: simObjects(model) },
      { lineWidth: 0, aliasDuplicateObjects: false },
    ),
  );
}
