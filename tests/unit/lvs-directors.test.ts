import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import {
  announcedVips,
  apiVirtualServer,
  directorPeers,
  keepalivedConfig,
  lipAssignments,
  virtualServerBlock,
  vipInterface,
  type VirtualServer,
} from "../../components/fullnat-lvs/directors";
import { directorApplyScript, directorFiles } from "../../components/fullnat-lvs/apply";
import { lvsDashboard, lvsRuleGroups, lvsScrapeConfigs } from "../../components/fullnat-lvs/monitoring";
import { directorAgentConfig, directorAgentUnit } from "../../components/fullnat-lvs/sync";
import { vipAssignments } from "../../components/fullnat-lvs/vips";
import { ruleFile } from "../../components/common/alerts";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;

describe.each(["dc-a", "dc-b", "dc-c"])("lipAssignments(%s)", (stack) => {
  const model = modelOf(fixture(stack));
  const lips = lipAssignments(model);
  const all = [...lips.values()].flat();

  it("gives every director an equal, non-empty share", () => {
    const sizes = [...lips.values()].map((l) => l.length);
    expect([...lips.keys()]).toEqual(model.config.lvs?.directors);
    expect(new Set(sizes).size).toBe(1);
    expect(sizes[0]).toBeGreaterThan(0);
  });

  it("never gives one LIP to two directors (replies must return to the owner)", () => {
    expect(new Set(all).size).toBe(all.length);
  });
});

describe("lipAssignments splits dc-a's /24 into one CIDR-aligned /26 per director", () => {
  const lips = lipAssignments(modelOf(fixture("dc-a")));
  it.each([
    ["dca-a1r01-03", "10.251.16.1", "10.251.16.62"],
    ["dca-a1r01-04", "10.251.16.65", "10.251.16.126"],
    ["dca-a2r01-02", "10.251.16.129", "10.251.16.190"],
    ["dca-a2r01-03", "10.251.16.193", "10.251.16.254"],
  ])("%s: %s … %s", (director, first, last) => {
    const l = lips.get(director) as string[];
    expect([l[0], l[l.length - 1], l.length]).toEqual([first, last, 62]);
  });
});

describe("directorPeers", () => {
  it.each([
    ["dc-a", "dca-a1r01-03", [{ name: "tor1", ip: "10.16.1.1", asNumber: 65101, multihop: false }]],
    ["dc-a", "dca-a2r01-02", [{ name: "tor1", ip: "10.16.9.1", asNumber: 65109, multihop: false }]],
    ["dc-c", "dcc-c1r01-04", [{ name: "tor1", ip: "172.18.1.1", asNumber: 4200001001, multihop: false }]],
    [
      "dc-b",
      "dcb-b2r01-02",
      [
        { name: "core1", ip: "10.32.0.1", asNumber: 65200, multihop: true },
        { name: "core2", ip: "10.32.0.2", asNumber: 65200, multihop: true },
      ],
    ],
  ])("%s %s peers with its own rack's router (tor) or the core (RR mode)", (stack, director, peers) => {
    expect(directorPeers(modelOf(fixture(stack)), director)).toEqual(peers);
  });
});

describe("announcedVips", () => {
  it("announces the API VIP and every business VIP on dc-a", () => {
    expect(announcedVips(modelOf(fixture("dc-a")))).toEqual([
      "10.250.16.10",
      "10.250.16.119",
      "10.250.16.214",
      "10.250.16.224",
    ]);
  });

  it("announces business VIPs only where the API is published by DNS (dc-b)", () => {
    const model = modelOf(fixture("dc-b"));
    expect(apiVirtualServer(model)).toBeUndefined();
    // Sorted as addresses, not as text.
    expect(announcedVips(model)).toEqual(["10.250.32.97", "10.250.32.102"]);
    expect(new Set(announcedVips(model))).toEqual(new Set(vipAssignments(model).map((a) => a.vip)));
  });
});

/** The FULLNAT-only syntax no stock parser knows, pinned field by field. */
describe("keepalived config, DPVS dialect (dc-c)", () => {
  const model = modelOf(fixture("dc-c"));
  const text = keepalivedConfig(model, "dcc-c1r01-03");
  const lines = text.split("\n");

  it("declares the director's own LIPs on the DPDK port, in one group", () => {
    const start = lines.indexOf("local_address_group laddr_dcc_c1r01_03 {");
    const end = lines.indexOf("}", start);
    expect(start).toBeGreaterThan(0);
    const entries = lines.slice(start + 1, end);
    // Its /27 block (172.19.251.0/27) without network and broadcast.
    expect(entries).toHaveLength(30);
    expect(entries[0]).toBe("    172.19.251.1 dpdk0");
    expect(entries[29]).toBe("    172.19.251.30 dpdk0");
  });

  it("serves the API VIP in FULLNAT mode over every master", () => {
    const start = lines.indexOf("virtual_server 172.19.250.10 6443 {");
    expect(lines.slice(start, start + 8)).toEqual([
      "virtual_server 172.19.250.10 6443 {",
      "    delay_loop 2",
      "    lb_algo wrr",
      "    lb_kind FNAT",
      "    protocol TCP",
      "    laddr_group_name laddr_dcc_c1r01_03",
      "    alpha",
      "    real_server 172.18.1.11 6443 {",
    ]);
    expect(lines.filter((l) => l.startsWith("    real_server "))).toEqual(
      model.masters.map((m) => `    real_server ${m.ip} 6443 {`),
    );
  });

  it("holds no business virtual servers (lvs-director-agent applies those)", () => {
    expect(lines.filter((l) => l.startsWith("include"))).toEqual([]);
  });
});

describe("keepalived config, Alibaba dialect", () => {
  const f = fixture("dc-c");
  (f.raw as Raw).lvs.implementation = "alibaba";
  const model = modelOf(f);
  const text = keepalivedConfig(model, "dcc-c1r01-04");

  it("lists LIPs without a port and retries with nb_get_retry", () => {
    expect(text).toContain("local_address_group laddr_dcc_c1r01_04 {\n    172.19.251.33\n");
    expect(text).toContain("            nb_get_retry 2\n");
    expect(text).not.toContain("nb_sock_retry");
    expect(vipInterface(model)).toBe("lo");
  });
});

describe("virtualServerBlock (the format director-sync renders)", () => {
  const vs = (extra: Partial<VirtualServer>): VirtualServer => ({
    vip: "10.250.16.214",
    port: 443,
    protocol: "TCP",
    realServers: [
      { ip: "10.128.0.10", port: 8443 },
      { ip: "10.128.128.7", port: 8443, weight: 50 },
    ],
    check: { kind: "http", port: 8081, path: "/healthz" },
    comment: "shop 443/TCP",
    ...extra,
  });

  it("renders an HTTP-checked TCP service exactly", () => {
    expect(virtualServerBlock(vs({}), "laddr_x", { intervalSeconds: 2, failures: 3 }, "dpvs")).toBe(
      [
        "# shop 443/TCP",
        "virtual_server 10.250.16.214 443 {",
        "    delay_loop 2",
        "    lb_algo wrr",
        "    lb_kind FNAT",
        "    protocol TCP",
        "    laddr_group_name laddr_x",
        "    alpha",
        "    real_server 10.128.0.10 8443 {",
        "        weight 100",
        "        inhibit_on_failure",
        "        HTTP_GET {",
        "            url {",
        "                path /healthz",
        "                status_code 200",
        "            }",
        "            connect_port 8081",
        "            connect_timeout 2",
        "            nb_sock_retry 2",
        "            delay_before_retry 2",
        "        }",
        "    }",
        "    real_server 10.128.128.7 8443 {",
        "        weight 50",
        "        inhibit_on_failure",
        "        HTTP_GET {",
        "            url {",
        "                path /healthz",
        "                status_code 200",
        "            }",
        "            connect_port 8081",
        "            connect_timeout 2",
        "            nb_sock_retry 2",
        "            delay_before_retry 2",
        "        }",
        "    }",
        "}",
      ].join("\n"),
    );
  });

  it.each([
    [
      "UDP with a TCP health port",
      { protocol: "UDP" as const, port: 5228, check: { kind: "tcp" as const, port: 8081 } },
      ["    protocol UDP", "        TCP_CHECK {", "            connect_port 8081"],
    ],
    ["a custom scheduler", { scheduler: "sh" }, ["    lb_algo sh"]],
    ["check timing from config", {}, ["    delay_loop 2"]],
  ])("%s", (_t, extra, expected) => {
    const text = virtualServerBlock(vs(extra), "g", { intervalSeconds: 2, failures: 3 }, "dpvs").split("\n");
    for (const line of expected) expect(text).toContain(line);
  });

  it("never times a check out below one second", () => {
    const text = virtualServerBlock(vs({}), "g", { intervalSeconds: 1, failures: 1 }, "dpvs");
    expect(text).toContain("connect_timeout 1\n");
    expect(text).toContain("nb_sock_retry 0\n");
  });
});

describe("director apply script", () => {
  const model = modelOf(fixture("dc-a"));
  const script = directorApplyScript(model, "dca-a1r01-03", directorFiles(model, "dca-a1r01-03"));

  it("parses the new BIRD config before installing anything", () => {
    const check = script.indexOf('bird -p -c "$tmp/bird.conf"');
    expect(check).toBeGreaterThan(0);
    expect(check).toBeLessThan(script.indexOf("sudo install -m 0644"));
  });

  it("reloads, never blindly restarts, the speakers", () => {
    expect(script).toContain("sudo birdc configure");
    expect(script).toContain("sudo systemctl reload keepalived");
  });

  it("carries the configs base64-encoded (no quoting accidents)", () => {
    const b64 = Buffer.from(directorFiles(model, "dca-a1r01-03").bird).toString("base64");
    expect(script).toContain(b64);
  });
});

describeWithTool("shellcheck", "director apply script", () => {
  it.each(["dc-a", "dc-b", "dc-c"])("passes shellcheck (%s)", (stack) => {
    const model = modelOf(fixture(stack));
    const d = model.config.lvs?.directors[0] as string;
    const r = runTool(
      "shellcheck",
      ["-s", "bash", "-"],
      directorApplyScript(model, d, directorFiles(model, d)),
    );
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });
});

describe("lvs-director-agent config", () => {
  const model = modelOf(fixture("dc-a"));
  const c = directorAgentConfig(model, "dca-a1r01-04") as {
    version: number;
    vips: { business: string; vip: string }[];
    lipBlock: string;
    lips: string[];
    staticVips: string[];
  };

  it("is told every VIP it may use, per business, and the API VIP it must keep announced", () => {
    expect(c.version).toBe(2);
    expect(c.vips.map((v) => [v.business, v.vip])).toEqual([
      ["shop", "10.250.16.214"],
      ["account", "10.250.16.119"],
      ["push", "10.250.16.224"],
    ]);
    expect(c.staticVips).toEqual(["10.250.16.10"]);
  });

  it("gets its own CIDR-aligned LIP block", () => {
    expect(c.lipBlock).toBe("10.251.16.64/26");
    expect([c.lips[0], c.lips[c.lips.length - 1], c.lips.length]).toEqual([
      "10.251.16.65",
      "10.251.16.126",
      62,
    ]);
  });

  it("runs from a systemd unit that restarts it", () => {
    const unit = directorAgentUnit(model);
    expect(unit).toContain("--config=/etc/lvs-director-agent/config.json");
    expect(unit).toContain("Restart=always");
  });
});

describeWithTool("lvs-director-agent", "lvs-director-agent reads the config FullnatLVS renders", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-agent-config-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cases: [string, string, string][] = [];
  for (const stack of ["dc-a", "dc-b", "dc-c"])
    for (const impl of ["dpvs", "alibaba"]) cases.push([stack, impl, `${stack}/${impl}`]);
  it.each(cases)("%s (%s)", (stack, impl) => {
    const f = fixture(stack);
    (f.raw as Raw).lvs.implementation = impl;
    const model = modelOf(f);
    for (const d of model.config.lvs?.directors ?? []) {
      const file = path.join(dir, `${stack}-${impl}-${d}.json`);
      fs.writeFileSync(file, JSON.stringify(directorAgentConfig(model, d)));
      const r = runTool("lvs-director-agent", ["--check-config", `--config=${file}`]);
      expect(r.output).toContain("config ok");
      expect(r.status).toBe(0);
    }
  });

  it("refuses a config with an unknown field, naming it", () => {
    const file = path.join(dir, "bad.json");
    const model = modelOf(fixture("dc-c"));
    const d = model.config.lvs?.directors[0] as string;
    fs.writeFileSync(file, JSON.stringify({ ...directorAgentConfig(model, d), lipRange: "x" }));
    const r = runTool("lvs-director-agent", ["--check-config", `--config=${file}`]);
    expect(r.status).not.toBe(0);
    expect(r.output).toContain("lipRange");
  });
});

describe("LVS monitoring data", () => {
  const rules = lvsRuleGroups().flatMap((g) => g.rules);

  it.each([
    "LvsTrafficDrop",
    "LvsTrafficSurge",
    "LvsRealServerHighLatency",
    "LvsDirectorDown",
    "LvsDirectorBgpSessionDown",
  ])("has %s", (name) => expect(rules.map((r) => r.alert)).toContain(name));

  it("scrapes every director, labelled by hostname", () => {
    const model = modelOf(fixture("dc-c"));
    expect(lvsScrapeConfigs(model)[0]).toEqual({
      job_name: "lvs-director",
      scrape_interval: "15s",
      static_configs: [
        { targets: ["172.18.1.13:9910"], labels: { director: "dcc-c1r01-03" } },
        { targets: ["172.18.1.14:9910"], labels: { director: "dcc-c1r01-04" } },
      ],
    });
  });

  it("has a dashboard with VIP traffic, connections and per-real-server latency", () => {
    const d = lvsDashboard() as { uid: string; panels: { title: string; targets: { expr: string }[] }[] };
    expect(d.uid).toBe("lvs-overview");
    const titles = d.panels.map((p) => p.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        "Inbound traffic per VIP",
        "Active connections per real server",
        "Real-server check latency",
      ]),
    );
    expect(new Set(d.panels.map((p) => (p as unknown as { id: number }).id)).size).toBe(d.panels.length);
  });
});

describeWithTool("promtool", "LVS monitoring data", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvs-rules-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the rule groups pass promtool check rules", () => {
    const file = path.join(dir, "lvs.rules.yaml");
    fs.writeFileSync(file, stringify(ruleFile(lvsRuleGroups())));
    const r = runTool("promtool", ["check", "rules", file]);
    expect(r.output).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("the static scrape configs pass promtool check config", () => {
    const file = path.join(dir, "prometheus.yaml");
    fs.writeFileSync(file, stringify({ scrape_configs: lvsScrapeConfigs(modelOf(fixture("dc-a"))) }));
    const r = runTool("promtool", ["check", "config", "--syntax-only", file]);
    expect(r.output).not.toContain("FAILED");
    expect(r.status).toBe(0);
  });
});
