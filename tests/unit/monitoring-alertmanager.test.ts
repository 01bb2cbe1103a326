/**
 * alertmanager.yml from config: routes, receivers, intervals, SMTP.
 */
import { alertmanagerConfig } from "../../components/monitoring-stack/alertmanager";
import type { MonitoringConfig } from "../../stacks/schema";
import { calicoRuleGroups } from "../../components/calico-bgp/monitoring";

type Settings = MonitoringConfig["alertmanager"];
const base: Settings = {
  replicas: 2,
  defaultReceiver: "oncall",
  receivers: [{ name: "oncall", webhookUrls: ["https://gw/a"], emailTo: [], sendResolved: true }],
  routes: [],
  groupBy: ["alertname", "datacenter", "namespace"],
  repeatIntervalMinutes: 240,
  storageGiB: 2,
};

describe("alertmanagerConfig", () => {
  it.each([
    [240, "4h"],
    [60, "1h"],
    [90, "90m"],
    [5, "5m"],
  ])("repeats a firing alert every %s minutes as %s", (minutes, text) => {
    expect(alertmanagerConfig({ ...base, repeatIntervalMinutes: minutes }).route.repeat_interval).toBe(text);
  });

  it("sends what no route matches to the default receiver, grouped by the configured labels", () => {
    const c = alertmanagerConfig(base);
    expect(c.route).toMatchObject({
      receiver: "oncall",
      group_by: ["alertname", "datacenter", "namespace"],
      routes: [],
    });
    expect(c.receivers).toEqual([
      { name: "oncall", webhook_configs: [{ url: "https://gw/a", send_resolved: true }] },
    ]);
    expect(c.global).toEqual({ resolve_timeout: "5m" });
  });

  it.each([
    [
      { receiver: "mail", matchers: ['severity="critical"'], continue: true },
      { receiver: "mail", matchers: ['severity="critical"'], continue: true },
    ],
    [
      { receiver: "biz", matchers: ['namespace=~"ingress-.*"'], continue: false, repeatIntervalMinutes: 30 },
      { receiver: "biz", matchers: ['namespace=~"ingress-.*"'], repeat_interval: "30m" },
    ],
  ])("renders route %j", (route, expected) => {
    expect(alertmanagerConfig({ ...base, routes: [route] }).route.routes).toEqual([expected]);
  });

  it("adds e-mail receivers and the SMTP relay they need", () => {
    const c = alertmanagerConfig({
      ...base,
      receivers: [
        ...base.receivers,
        { name: "mail", webhookUrls: [], emailTo: ["sre@example.com"], sendResolved: false },
      ],
      smtp: { smarthost: "smtp.example.com:25", from: "am@example.com" },
    });
    expect(c.receivers[1]).toEqual({
      name: "mail",
      email_configs: [{ to: "sre@example.com", send_resolved: false }],
    });
    expect(c.global).toMatchObject({ smtp_smarthost: "smtp.example.com:25", smtp_from: "am@example.com" });
  });

  it("lets a critical alert silence the warning of the same problem (CalicoBGP's conntrack pair)", () => {
    const names = calicoRuleGroups().flatMap((g) => g.rules.map((r) => r.alert));
    expect(names).toEqual(expect.arrayContaining(["ConntrackTableNearlyFull", "ConntrackTableFilling"]));
    const rules = alertmanagerConfig(base).inhibit_rules;
    expect(rules).toContainEqual({
      source_matchers: ['alertname="ConntrackTableNearlyFull"'],
      target_matchers: ['alertname="ConntrackTableFilling"'],
      equal: ["datacenter", "instance"],
    });
  });
});
