/**
 * What the ingress tiers need from config and inventory together: names that
 * make valid, unshared namespaces; nginx workers the ingress machines' cores
 * can hold; memory for what the CPU limit implies; tiers that fit the ingress
 * machines together, not only one by one; host names and ports that do not
 * collide between businesses or inside one generated Service.
 */
import { show } from "../validate";
import { MAX_BUSINESS_NAME, RESERVED_NAMESPACES, RESERVED_PREFIXES, businessNamespaces } from "../namespaces";
import { nginxMemoryFloorMiB, nginxWorkerProcesses } from "../../components/common/sizing";
import { HTTP_VIP_PORT, HTTPS_VIP_PORT, reservedIngressPorts } from "../../components/common/ingress-ports";
import type { CheckContext } from "./context";

export function trafficChecks(ctx: CheckContext): void {
  const { cfg, issues, cfgPath } = ctx;
  const ingressHosts = ctx.hostsOf("ingress");
  const minCores = Math.min(...ingressHosts.map((h) => h.cores));
  const minMemMiB = Math.min(...ingressHosts.map((h) => h.memoryGiB * 1024));
  const fleetMillis = ingressHosts.reduce((sum, h) => sum + h.cores * 1000, 0);
  const reserved = reservedIngressPorts();
  const platform = new Set(RESERVED_NAMESPACES);

  issues.unique(
    cfg.businesses,
    (b) => b.name,
    (i) => cfgPath("businesses", i, "name"),
    (i) => `businesses[${i}]`,
    "unique business names",
  );
  // One public host name, one tier: two Ingresses claiming it would split its
  // traffic by whichever controller answers the VIP the client resolved.
  const hostOwner = new Map<string, string>();
  cfg.businesses.forEach((b, i) =>
    b.hosts.forEach((host, j) => {
      const owner = hostOwner.get(host);
      if (owner === undefined) hostOwner.set(host, `businesses[${i}] ${show(b.name)}`);
      else
        issues.add(
          cfgPath("businesses", i, "hosts", j),
          `${show(host)} is already served by ${owner} (expected each public host name in one business)`,
        );
    }),
  );

  cfg.businesses.forEach((b, i) => {
    const at = (...segs: (string | number)[]) => cfgPath("businesses", i, ...segs);
    const ns = businessNamespaces(b.name);
    if (platform.has(ns.app) || RESERVED_PREFIXES.some((p) => b.name.startsWith(p)))
      issues.add(
        at("name"),
        `${show(b.name)} is a platform namespace or prefix (expected a business name that is none of ${RESERVED_NAMESPACES.join(", ")} and does not start with ${RESERVED_PREFIXES.join(" or ")})`,
      );
    if (b.name.length > MAX_BUSINESS_NAME)
      issues.add(
        at("name"),
        `${show(b.name)} is ${b.name.length} characters (expected at most ${MAX_BUSINESS_NAME}: the tier's namespace is ${businessNamespaces("<name>").tier})`,
      );
    if (b.minReplicas > b.maxReplicas)
      issues.add(
        at("minReplicas"),
        `${b.minReplicas} is above maxReplicas ${b.maxReplicas} (expected minReplicas <= maxReplicas)`,
      );
    const request = b.cpuRequestMillis ?? b.cpuLimitMillis;
    if (request > b.cpuLimitMillis)
      issues.add(
        at("cpuRequestMillis"),
        `${request} is above cpuLimitMillis ${b.cpuLimitMillis} (expected a request <= the limit)`,
      );
    const workers = nginxWorkerProcesses(b.cpuLimitMillis);
    const floor = nginxMemoryFloorMiB(workers);
    if (b.memoryLimitMiB < floor)
      issues.add(
        at("memoryLimitMiB"),
        `${b.memoryLimitMiB} cannot hold ${workers} nginx workers (from cpuLimitMillis ${b.cpuLimitMillis}) with 16384 connections each (expected at least ${floor}: 256 for the controller + ${workers} × (32 + 128) per worker)`,
      );
    if (ingressHosts.length > 0) {
      if (workers > minCores)
        issues.add(
          at("cpuLimitMillis"),
          `${b.cpuLimitMillis} gives ${workers} nginx workers but the smallest ingress machine has ${minCores} cores (expected at most ${minCores * 1000 + 999}: more workers than cores only adds context switches)`,
        );
      if (b.memoryLimitMiB > minMemMiB)
        issues.add(
          at("memoryLimitMiB"),
          `${b.memoryLimitMiB} exceeds the smallest ingress machine's ${minMemMiB} MiB (expected at most ${minMemMiB})`,
        );
      if (b.maxReplicas * request > fleetMillis)
        issues.add(
          at("maxReplicas"),
          `${b.maxReplicas} replicas × ${request}m CPU request = ${b.maxReplicas * request}m exceeds the ${ingressHosts.length} ingress machines' ${fleetMillis}m (expected maxReplicas <= ${Math.floor(fleetMillis / request)}, or more ingress machines)`,
        );
    }
    issues.unique(
      b.ports,
      (p) => `${p.port}/${p.protocol}`,
      (j) => at("ports", j),
      (j) => `ports[${j}]`,
      "each port/protocol once",
    );
    b.ports.forEach((p, j) => {
      if (p.port === HTTP_VIP_PORT || p.port === HTTPS_VIP_PORT) {
        if (p.protocol !== "TCP")
          issues.add(
            at("ports", j, "protocol"),
            `${p.port}/${p.protocol}: ports 80 and 443 are nginx's HTTP(S) listeners (expected TCP)`,
          );
        return;
      }
      if (p.port < 1024)
        issues.add(
          at("ports", j, "port"),
          `${p.port} is a privileged port (expected 80, 443 or a port >= 1024: L4 ports are proxied on the same number by a non-root nginx)`,
        );
      else if (reserved.includes(p.port))
        issues.add(
          at("ports", j, "port"),
          `${p.port} is used inside the ingress pod (expected a port other than ${reserved.join(", ")})`,
        );
      else if (p.protocol === "TCP" && p.port === b.upstreamPort)
        // The upstream Service carries the HTTP upstream port and every L4
        // port on the same number: two entries 8080/TCP are refused by the API server.
        issues.add(
          at("ports", j, "port"),
          `${p.port}/TCP is also businesses[${i}].upstreamPort, and the upstream Service would carry it twice (expected an L4 port other than the upstream port ${b.upstreamPort}, or another upstreamPort)`,
        );
    });
  });

  // All tiers together on one ingress machine. Pods of a tier spread over
  // the ingress machines, so at minReplicas each machine holds
  // ceil(minReplicas / machines) pods of every tier: if those do not fit the
  // smallest machine, pods stay Pending from the first deploy.
  // A tier whose one pod does not fit is reported above: one mistake, one message.
  if (ingressHosts.length === 0 || cfg.businesses.length === 0) return;
  if (
    cfg.businesses.some(
      (b) => (b.cpuRequestMillis ?? b.cpuLimitMillis) > minCores * 1000 || b.memoryLimitMiB > minMemMiB,
    )
  )
    return;
  const perHost = (b: (typeof cfg.businesses)[number]) => Math.ceil(b.minReplicas / ingressHosts.length);
  const cpu = cfg.businesses.map((b) => perHost(b) * (b.cpuRequestMillis ?? b.cpuLimitMillis));
  const mem = cfg.businesses.map((b) => perHost(b) * b.memoryLimitMiB);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const terms = (xs: number[], unit: string) =>
    cfg.businesses.map((b, i) => `${b.name} ${perHost(b)} × ${xs[i] / perHost(b)}${unit}`).join(" + ");
  if (sum(cpu) > minCores * 1000)
    issues.add(
      cfgPath("businesses"),
      `the ingress tiers at minReplicas need ${sum(cpu)}m CPU on each ingress machine (${terms(cpu, "m")}) but the smallest has ${minCores * 1000}m (expected the tiers' CPU requests per machine to fit it: lower minReplicas or requests, or add ingress machines)`,
    );
  if (sum(mem) > minMemMiB)
    issues.add(
      cfgPath("businesses"),
      `the ingress tiers at minReplicas need ${sum(mem)} MiB on each ingress machine (${terms(mem, " MiB")}) but the smallest has ${minMemMiB} MiB (expected the tiers' memory per machine to fit it: lower minReplicas or memoryLimitMiB, or add ingress machines)`,
    );
}

/** Not refused, but said: every tier at maxReplicas at once must fit the ingress fleet, or the peak leaves pods Pending. */
export function trafficWarnings(ctx: CheckContext): void {
  const { cfg, issues, cfgPath } = ctx;
  const hosts = ctx.hostsOf("ingress");
  const fleetMillis = hosts.reduce((s, h) => s + h.cores * 1000, 0);
  const peak = cfg.businesses.reduce(
    (s, b) => s + b.maxReplicas * (b.cpuRequestMillis ?? b.cpuLimitMillis),
    0,
  );
  if (hosts.length > 0 && peak > fleetMillis)
    issues.add(
      cfgPath("businesses"),
      `every ingress tier at maxReplicas needs ${peak}m CPU, more than the ${hosts.length} ingress machines' ${fleetMillis}m (expected the sum of maxReplicas × CPU request to fit, or tiers that never peak together)`,
    );
}
