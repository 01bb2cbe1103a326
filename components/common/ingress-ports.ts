/**
 * Ports inside an ingress tier pod. Kept apart (no imports) so the config
 * checks in stacks/checks/traffic.ts can refuse business ports that would collide
 * with them without pulling in the component.
 *
 * nginx listens on unprivileged ports: the namespace runs at Pod Security
 * `restricted`, which forbids the allowPrivilegeEscalation that ingress-nginx's
 * file capability (cap_net_bind_service on the nginx binary) needs to bind
 * :80/:443 as a non-root user. The Service maps the VIP's 80/443 onto these.
 */
export const ingressPorts = {
  /** nginx HTTP listener (`--http-port`); VIP port 80 targets it. */
  http: 8080,
  /** nginx HTTPS listener (`--https-port`); VIP port 443 targets it. */
  https: 8443,
  /** Our drain-aware health server (http-snippet): readiness and the LVS health check. */
  lbHealth: 8081,
  /** ingress-nginx default server (`--default-server-port`). */
  defaultServer: 8181,
  /** Controller /healthz and /metrics (`--healthz-port`). */
  controller: 10254,
  /** ingress-nginx internal: profiler, nginx status, stream sockets (fixed upstream). */
  internal: [10245, 10246, 10247] as readonly number[],
  /** The filebeat sidecar's stats endpoint (scraped for the lag alert). */
  filebeatStats: 5066,
} as const;

/** VIP ports that map onto nginx's HTTP/HTTPS listeners; any other port is proxied at L4 on the same number. */
export const HTTP_VIP_PORT = 80;
export const HTTPS_VIP_PORT = 443;

/** Every port number the pod already uses: an L4 business port may not reuse one. */
export function reservedIngressPorts(): number[] {
  const p = ingressPorts;
  return [p.http, p.https, p.lbHealth, p.defaultServer, p.controller, ...p.internal, p.filebeatStats].sort(
    (a, b) => a - b,
  );
}

/** Where a VIP port lands inside the pod: 80 → HTTP listener, 443 → HTTPS listener, anything else → itself. */
export function containerPortFor(vipPort: number): number {
  if (vipPort === HTTP_VIP_PORT) return ingressPorts.http;
  if (vipPort === HTTPS_VIP_PORT) return ingressPorts.https;
  return vipPort;
}
