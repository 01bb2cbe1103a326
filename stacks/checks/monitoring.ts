/** Monitoring: alert routing reaches someone, and Prometheus/Alertmanager fit the monitoring machines. */
import { show } from "../validate";
import { re2Problem } from "./re2";
import type { CheckContext } from "./context";

/**
 * Alert routing must reach someone, and the Prometheus/Alertmanager replicas
 * must fit the monitoring machines: replicas of one instance never share a
 * host (required anti-affinity), so each host may hold one replica of every
 * instance, and with local volumes all of them live on its data disk.
 */
export function monitoringChecks(ctx: CheckContext): void {
  const { cfg, inv, invPath } = ctx;
  const mon = cfg.monitoring;
  if (!mon) return;
  const add = (path: string, message: string) => ctx.issues.add(path, message);
  const am = mon.alertmanager;
  const amPath = (...segs: (string | number)[]) => ctx.cfgPath("monitoring", "alertmanager", ...segs);

  const receiverNames = [...new Set(am.receivers.map((r) => r.name))];
  ctx.issues.unique(
    am.receivers,
    (r) => r.name,
    (i) => amPath("receivers", i, "name"),
    (i) => `receivers[${i}]`,
    "unique receiver names",
  );
  const needReceiver = (path: string, name: string) => {
    if (!receiverNames.includes(name))
      add(path, `receiver ${show(name)} is not declared (expected one of ${show(receiverNames)})`);
  };
  needReceiver(amPath("defaultReceiver"), am.defaultReceiver);
  am.routes.forEach((r, i) => {
    needReceiver(amPath("routes", i, "receiver"), r.receiver);
    r.matchers.forEach((m, j) => {
      const re = /^[a-zA-Z_][a-zA-Z0-9_]*(?:=~|!~)"([^"]*)"$/.exec(m);
      if (!re) return;
      // Alertmanager compiles the value with Go's regexp (RE2 syntax),
      // anchored; JavaScript's RegExp accepts lookaheads and
      // backreferences that Go refuses, so check with an RE2 parser.
      const problem = re2Problem(re[1]);
      if (problem)
        add(
          amPath("routes", i, "matchers", j),
          `${show(m)} has a regular expression Alertmanager refuses: ${problem} (expected RE2 syntax: no lookaround, backreferences or possessive quantifiers)`,
        );
    });
  });
  am.receivers.forEach((r, i) => {
    if (r.webhookUrls.length === 0 && r.emailTo.length === 0)
      add(
        amPath("receivers", i),
        `receiver ${show(r.name)} has no webhookUrls and no emailTo (expected at least one target: alerts routed here would be dropped)`,
      );
    if (r.emailTo.length > 0 && !am.smtp)
      add(
        amPath("receivers", i, "emailTo"),
        `receiver ${show(r.name)} sends e-mail but monitoring.alertmanager.smtp is not set (expected an smtp smarthost and from address)`,
      );
  });

  const monitoringHosts = inv.hosts.filter((h) => h.function === "monitoring");
  if (monitoringHosts.length === 0) return; // reported with the machine functions
  const fits = (path: string, replicas: number, what: string) => {
    if (replicas > monitoringHosts.length)
      add(
        path,
        `${replicas} ${what} replicas but only ${monitoringHosts.length} monitoring host(s) (expected at most ${monitoringHosts.length}: replicas never share a host)`,
      );
  };
  const instances = Object.entries(mon.prometheus) as [string, { replicas: number; storageGiB?: number }][];
  for (const [name, inst] of instances)
    fits(ctx.cfgPath("monitoring", "prometheus", name, "replicas"), inst.replicas, `Prometheus ${name}`);
  fits(amPath("replicas"), am.replicas, "Alertmanager");

  if (mon.storageClass.startsWith("local")) {
    const perHostGiB =
      instances.reduce((sum, [, inst]) => sum + (inst.storageGiB ?? mon.storageGiB), 0) + am.storageGiB;
    const withDisk = monitoringHosts.filter((h) => h.disks.some((d) => d.mount === mon.dataMount));
    if (withDisk.length === 0) {
      // No monitoring host has it: the mount point in config is what is wrong.
      const mounts = [...new Set(monitoringHosts.flatMap((h) => h.disks.map((d) => d.mount)))].sort();
      add(
        ctx.cfgPath("monitoring", "dataMount"),
        `no monitoring host has a disk mounted at ${show(mon.dataMount)} (expected one of their mounts ${show(mounts)} for monitoring.storageClass ${show(mon.storageClass)} volumes)`,
      );
    } else {
      inv.hosts.forEach((h, i) => {
        if (h.function === "monitoring" && !withDisk.includes(h))
          add(
            invPath("hosts", i, "disks"),
            `${h.hostname} has no disk mounted at ${mon.dataMount} (expected the data disk the other monitoring hosts have)`,
          );
      });
    }
    const short = withDisk.filter(
      (h) => (h.disks.find((d) => d.mount === mon.dataMount)?.sizeGiB ?? 0) < perHostGiB,
    );
    if (short.length > 0) {
      const smallest = Math.min(
        ...short.map((h) => h.disks.find((d) => d.mount === mon.dataMount)?.sizeGiB ?? 0),
      );
      add(
        ctx.cfgPath("monitoring", "storageGiB"),
        `one replica of every Prometheus instance plus Alertmanager needs ${perHostGiB} GiB per host but ${mon.dataMount} holds ${smallest} GiB on ${short.map((h) => h.hostname).join(", ")} (expected volumes that fit the smallest monitoring data disk)`,
      );
    }
  }
}
