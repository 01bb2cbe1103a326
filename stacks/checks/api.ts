/** How clients reach the API servers, and whether host work is possible. */
import { show } from "../validate";
import { cidrContainsIp } from "../net";
import { usableAddress } from "./addresses";
import type { CheckContext } from "./context";

export function apiChecks(ctx: CheckContext): void {
  const { cfg, inv, issues, cfgPath } = ctx;
  const api = cfg.apiServer;
  if (api.mode === "lvs") {
    if (!api.vip)
      issues.add(
        cfgPath("apiServer", "vip"),
        `is required in lvs mode (expected the VIP the LVS directors announce)`,
      );
    if (!cfg.lvs)
      issues.add(
        cfgPath("lvs"),
        `is required when apiServer.mode is "lvs" (expected the LVS directors and VIP pools)`,
      );
  } else {
    if (!api.name)
      issues.add(
        cfgPath("apiServer", "name"),
        `is required in dns mode (expected the DNS name clients resolve to the masters)`,
      );
    // In dns mode nothing announces a VIP: a vip here would be silently ignored.
    if (api.vip)
      issues.add(
        cfgPath("apiServer", "vip"),
        `${show(api.vip)} is not used in dns mode (expected no vip: clients resolve apiServer.name to the masters; set apiServer.mode to "lvs" to use a VIP)`,
      );
  }
  if (api.vip && api.mode === "lvs") {
    const vip = api.vip;
    const at = cfgPath("apiServer", "vip");
    for (const [label, c] of [
      ["network.podCidr", ctx.podCidr],
      ["network.serviceCidr", ctx.serviceCidr],
    ] as const) {
      if (cidrContainsIp(c, vip))
        issues.add(
          at,
          `${show(vip)} is inside ${label} ${c.text} (expected an address outside pod and service ranges)`,
        );
    }
    if (inv.hosts.some((h) => h.ip === vip))
      issues.add(at, `${show(vip)} is a host's address (expected a dedicated VIP)`);
    const pool = ctx.vipPools.find((p) => cidrContainsIp(p, vip));
    if (cfg.lvs && !pool)
      issues.add(
        at,
        `${show(vip)} is not in any lvs.vipPools ${show(cfg.lvs.vipPools)} (expected an address the LVS tier can announce)`,
      );
    if (pool) usableAddress(issues, at, vip, pool, "lvs.vipPools");
  }

  // --- Host access -----------------------------------------------------------
  const ha = cfg.hostAccess;
  if (ha && !ha.enabled && !ha.disabledReason) {
    issues.add(
      cfgPath("hostAccess", "disabledReason"),
      `is required when hostAccess.enabled is false (expected a sentence saying why no host work is done)`,
    );
  }
  if (ha && !ha.enabled && !ha.kubeconfigPath) {
    issues.add(
      cfgPath("hostAccess", "kubeconfigPath"),
      `is required when hostAccess.enabled is false (expected the kubeconfig file of the running cluster, e.g. .sim/kubeconfig)`,
    );
  }
}
