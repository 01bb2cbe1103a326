/**
 * Pod-level network health (seed part 3): "containers actively ping the
 * switch to make sure the network works; when Calico has a problem the
 * container does not join its service". The other half of the seed's fault
 * handling — Calico's own health alerts — lives in components/calico-bgp.
 *
 * How it works. A pod cannot know its rack when the manifest is rendered, so
 * each namespace that runs checked pods carries one ConfigMap mapping every
 * node's hostname to its rack gateway (the ToR switch), generated from the
 * model. A small sidecar reads its node name from the downward API and its
 * READINESS probe pings that node's gateway. A pod is Ready only when all of
 * its containers are, so a pod whose network is broken leaves its Service (and
 * the LVS real-server set, which follows the EndpointSlices) without the app
 * container being touched or restarted.
 *
 * Why ICMP and not a TCP connect to the gateway's BGP (179) or SSH (22) port:
 * what answers on those ports differs by switch vendor and control-plane ACL
 * (CoPP often drops SYNs from non-neighbours silently, which would read as
 * "network down" everywhere at once), and a SYN to 179 from every pod shows up
 * as BGP connection attempts in the ToR's logs. Echo replies from the gateway
 * address are what the network team already monitors, and it is what the seed
 * did.
 *
 * Why no NET_RAW: the sidecar's ping (iputils) opens an ICMP *datagram* socket
 * (Linux >= 3.0), which needs no capability, only the pod's group inside
 * `net.ipv4.ping_group_range`. That sysctl is network-namespaced, on
 * Kubernetes' "safe" list (settable without kubelet flags) and allowed by the
 * Pod Security `baseline` and `restricted` levels, so the pod sets it in
 * `securityContext.sysctls` — `networkHealthSidecar(...).sysctls` returns the
 * entry to merge. Docker >= 20.10 and containerd >= 2.0 already set the same
 * value by default; setting it explicitly keeps the check working on runtimes
 * that do not. Without it ping fails with "Operation not permitted" and the
 * pod never turns Ready: loud at rollout, never silent.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { probeFloors, readinessTiming } from "./probes";

/** Name of the per-namespace ConfigMap the sidecar reads. */
export const RACK_GATEWAYS_CONFIGMAP = "rack-gateways";
/** The one key (file) in that ConfigMap. */
export const RACK_GATEWAYS_KEY = "gateways";
/** Where the sidecar mounts the ConfigMap. */
export const RACK_GATEWAYS_MOUNT = "/etc/private-cloud/rack-gateways";
/** Container and volume names inside the pod (unique enough not to collide with an app's). */
export const NETWORK_HEALTH_CONTAINER = "network-health";
export const NETWORK_HEALTH_VOLUME = "rack-gateways";
/** uid/gid the sidecar runs as (nobody): it needs no privilege at all. */
export const NETWORK_HEALTH_UID = 65534;

/**
 * The pod sysctl that lets unprivileged processes open ICMP datagram sockets.
 * "0 2147483647" is the runtimes' own default (Docker, containerd 2): it widens
 * nothing they would not already allow, and 2147483647 is the highest GID
 * kernels before 6.5 accept (later kernels accept up to 4294967294).
 */
export const PING_GROUP_RANGE_SYSCTL: k8s.types.input.core.v1.Sysctl = {
  name: "net.ipv4.ping_group_range",
  value: "0 2147483647",
};

/**
 * ConfigMap data: one file mapping "hostname gateway" per line, sorted by
 * hostname. Every inventory host is listed (masters too: a checked pod may be
 * scheduled there in a small datacenter).
 */
export function rackGatewayData(model: DatacenterModel): Record<string, string> {
  const lines = model.racks
    .flatMap((rack) => rack.hosts.map((h) => ({ hostname: h.hostname, gateway: rack.gateway })))
    .sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0))
    .map((e) => `${e.hostname} ${e.gateway}`);
  return { [RACK_GATEWAYS_KEY]: lines.length > 0 ? `${lines.join("\n")}\n` : "" };
}

/** Ping parameters of one probe run. Three echoes 200 ms apart, one second to answer: done in ~1.5 s. */
export const pingSettings = {
  /** Echo requests per probe run; any single reply counts as reachable (one lost packet is not an outage). */
  count: 3,
  /** Seconds between echoes; 0.2 is the smallest interval iputils allows an unprivileged user. */
  intervalSeconds: 0.2,
  /** Seconds to wait for the last reply. */
  waitSeconds: 1,
} as const;

/**
 * The readiness check as a POSIX sh script (run by `sh -c`). Exit 0: the
 * node's rack gateway answered. Exit 1: it did not (the message carries ping's
 * output, which kubelet copies into the pod's events). Exit 2: the check
 * cannot run — no NODE_NAME, no map, or a node missing from the map.
 *
 * A node missing from the map fails closed: the map is generated from the
 * same inventory the nodes are built from, so a missing node means this
 * namespace's ConfigMap is stale — `pulumi up` rewrites it and kubelet
 * refreshes the mounted file (no subPath, so updates propagate) without a
 * pod restart.
 */
export function networkHealthScript(mapFile = `${RACK_GATEWAYS_MOUNT}/${RACK_GATEWAYS_KEY}`): string {
  const { count, intervalSeconds, waitSeconds } = pingSettings;
  return [
    `node="\${NODE_NAME:-}"`,
    `map="${mapFile}"`,
    `if [ -z "$node" ]; then echo "network-health: NODE_NAME is not set (expected the downward-API spec.nodeName)" >&2; exit 2; fi`,
    `if [ ! -r "$map" ]; then echo "network-health: $map is missing (expected ConfigMap ${RACK_GATEWAYS_CONFIGMAP} mounted)" >&2; exit 2; fi`,
    `gw=""`,
    `while read -r host addr; do`,
    `  if [ "$host" = "$node" ]; then gw="$addr"; break; fi`,
    `done < "$map"`,
    `if [ -z "$gw" ]; then echo "network-health: node $node is not in $map (stale ConfigMap ${RACK_GATEWAYS_CONFIGMAP}: run pulumi up)" >&2; exit 2; fi`,
    `if out=$(ping -n -q -c ${count} -i ${intervalSeconds} -W ${waitSeconds} "$gw" 2>&1); then exit 0; fi`,
    `echo "network-health: rack gateway $gw of node $node is unreachable: $out" >&2`,
    `exit 1`,
    ``,
  ].join("\n");
}

/**
 * The sidecar's main process: it only has to stay up. `sleep` as PID 1 would
 * ignore SIGTERM and hold every pod deletion for its whole grace period (which
 * the ingress tier sizes for draining, not for this); the trap exits at once.
 */
const idleScript = `trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done`;

export interface NetworkHealthSidecar {
  readonly container: k8s.types.input.core.v1.Container;
  readonly volume: k8s.types.input.core.v1.Volume;
  /** Merge into the pod's `securityContext.sysctls` (see PING_GROUP_RANGE_SYSCTL). */
  readonly sysctls: readonly k8s.types.input.core.v1.Sysctl[];
}

/**
 * Sidecar + volume to add to a pod spec; the ConfigMap named `configMapName`
 * (default `rack-gateways`, data from `rackGatewayData`) must exist in the
 * pod's namespace. Also returns the pod sysctl to merge (see module comment).
 *
 * Only a readiness probe: a broken network must take the pod out of its
 * Service, never restart it (a restart cannot fix a switch, and a whole rack
 * of restarting pods is the avalanche the seed warns about).
 */
export function networkHealthSidecar(
  model: DatacenterModel | { readonly image: string },
  configMapName: string = RACK_GATEWAYS_CONFIGMAP,
): NetworkHealthSidecar {
  // A business stack has no model: it passes the image the platform stack exported.
  const image = "image" in model ? model.image : imagesFor(model).networkCheck;
  const timeoutSeconds = Math.max(readinessTiming.timeoutSeconds, probeFloors.minTimeoutSeconds);
  return {
    container: {
      name: NETWORK_HEALTH_CONTAINER,
      image,
      command: ["/bin/sh", "-c", idleScript],
      env: [{ name: "NODE_NAME", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } }],
      volumeMounts: [{ name: NETWORK_HEALTH_VOLUME, mountPath: RACK_GATEWAYS_MOUNT, readOnly: true }],
      readinessProbe: {
        exec: { command: ["/bin/sh", "-c", networkHealthScript()] },
        periodSeconds: readinessTiming.periodSeconds,
        timeoutSeconds,
        failureThreshold: readinessTiming.failureThreshold,
        successThreshold: 1,
      },
      // A ping every 5 s costs next to nothing; the limit only caps a runaway.
      resources: {
        requests: { cpu: "5m", memory: "8Mi" },
        limits: { cpu: "50m", memory: "32Mi" },
      },
      securityContext: {
        runAsNonRoot: true,
        runAsUser: NETWORK_HEALTH_UID,
        runAsGroup: NETWORK_HEALTH_UID,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
    },
    volume: { name: NETWORK_HEALTH_VOLUME, configMap: { name: configMapName } },
    sysctls: [PING_GROUP_RANGE_SYSCTL],
  };
}
