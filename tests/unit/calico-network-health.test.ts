import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";
import {
  NETWORK_HEALTH_CONTAINER,
  RACK_GATEWAYS_CONFIGMAP,
  RACK_GATEWAYS_KEY,
  networkHealthScript,
  networkHealthSidecar,
  rackGatewayData,
} from "../../components/common/network-health";
import { probeFloors } from "../../components/common/probes";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";

describe.each(["dc-a", "dc-b", "dc-c"])("rackGatewayData(%s)", (stack) => {
  const f = fixture(stack);
  const model = modelOf(f);
  const text = rackGatewayData(model)[RACK_GATEWAYS_KEY];
  const lines = text.trimEnd().split("\n");

  it("lists every inventory host once, sorted by hostname", () => {
    const hostnames = lines.map((l) => l.split(" ")[0]);
    expect(hostnames).toEqual([...f.inventory.hosts.map((h) => h.hostname)].sort());
  });

  it("maps each host to its own rack's gateway", () => {
    const gatewayOfRack = new Map(model.racks.map((r) => [r.name, r.gateway]));
    const byHost = new Map(lines.map((l) => l.split(" ") as [string, string]));
    for (const h of f.inventory.hosts) expect(byHost.get(h.hostname)).toBe(gatewayOfRack.get(h.rack));
  });

  it("is one file with a trailing newline (read line by line by sh)", () => {
    expect(Object.keys(rackGatewayData(model))).toEqual([RACK_GATEWAYS_KEY]);
    expect(text.endsWith("\n")).toBe(true);
  });
});

describe("rackGatewayData follows the racks", () => {
  it("moves a host's gateway when its rack's gateway changes", () => {
    const f = fixture("dc-c");
    const racks = (f.raw.network as { racks: { name: string; gateway: string }[] }).racks;
    racks[0].gateway = "172.18.1.62";
    const host = f.inventory.hosts.find((h) => h.rack === racks[0].name);
    const text = rackGatewayData(modelOf(f))[RACK_GATEWAYS_KEY];
    expect(text).toContain(`${host?.hostname} 172.18.1.62\n`);
  });
});

describe("networkHealthSidecar", () => {
  const model = modelOf(fixture("dc-c"));
  const { container, sysctls } = networkHealthSidecar(model);

  it("gates readiness only (a broken network must not restart pods)", () => {
    expect(container.readinessProbe).toBeDefined();
    expect(container.livenessProbe).toBeUndefined();
    expect(container.startupProbe).toBeUndefined();
  });

  it("times out no faster than the probe floor", () => {
    const p = container.readinessProbe as {
      timeoutSeconds: number;
      periodSeconds: number;
      failureThreshold: number;
    };
    expect(p.timeoutSeconds).toBeGreaterThanOrEqual(probeFloors.minTimeoutSeconds);
    expect(p.periodSeconds * p.failureThreshold).toBeGreaterThanOrEqual(
      probeFloors.minReadinessWindowSeconds,
    );
  });

  it("reads its node name from the downward API", () => {
    expect(container.env).toContainEqual({
      name: "NODE_NAME",
      valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } },
    });
  });

  it("needs no capability and runs as non-root", () => {
    const sc = container.securityContext as {
      runAsNonRoot: boolean;
      capabilities: { drop: string[]; add?: string[] };
      allowPrivilegeEscalation: boolean;
    };
    expect(sc.runAsNonRoot).toBe(true);
    expect(sc.capabilities.drop).toEqual(["ALL"]);
    expect(sc.capabilities.add).toBeUndefined();
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sysctls).toEqual([{ name: "net.ipv4.ping_group_range", value: "0 2147483647" }]);
  });

  it("has CPU and memory requests and limits", () => {
    const r = container.resources as { requests: Record<string, string>; limits: Record<string, string> };
    expect(Object.keys(r.requests).sort()).toEqual(["cpu", "memory"]);
    expect(Object.keys(r.limits).sort()).toEqual(["cpu", "memory"]);
  });

  it.each([
    [undefined, RACK_GATEWAYS_CONFIGMAP],
    ["shop-gateways", "shop-gateways"],
  ])("mounts ConfigMap %s as %s, whole (no subPath, so updates reach the pod)", (arg, expected) => {
    const s = networkHealthSidecar(model, arg);
    expect(s.volume).toEqual({ name: "rack-gateways", configMap: { name: expected } });
    expect(s.container.volumeMounts).toEqual([
      { name: "rack-gateways", mountPath: "/etc/private-cloud/rack-gateways", readOnly: true },
    ]);
    expect(s.container.name).toBe(NETWORK_HEALTH_CONTAINER);
  });

  it("probes with exactly the script under test", () => {
    const cmd = (container.readinessProbe as { exec: { command: string[] } }).exec.command;
    expect(cmd).toEqual(["/bin/sh", "-c", networkHealthScript()]);
  });
});

/**
 * The probe script run for real by sh with a fake `ping` on PATH that answers
 * for the addresses listed in $REACHABLE and records what it was asked.
 */
describe("networkHealthScript under sh", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "net-health-"));
  const bin = path.join(dir, "bin");
  const map = path.join(dir, "gateways");
  const log = path.join(dir, "ping.log");
  fs.mkdirSync(bin);
  fs.writeFileSync(
    path.join(bin, "ping"),
    [
      "#!/bin/sh",
      `echo "$*" >> "${log}"`,
      "for last; do :; done",
      'case " $REACHABLE " in *" $last "*) echo "3 packets transmitted, 3 received"; exit 0;; esac',
      'if [ -n "$NO_SOCKET" ]; then echo "ping: socket: Operation not permitted" >&2; exit 2; fi',
      'echo "3 packets transmitted, 0 received, 100% packet loss"; exit 1',
      "",
    ].join("\n"),
    { mode: 0o755 },
  );
  fs.writeFileSync(map, "node-a 10.0.1.1\nnode-b 10.0.2.1\n");
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const run = (env: Record<string, string>, mapFile = map) => {
    fs.rmSync(log, { force: true });
    const r = spawnSync("sh", ["-c", networkHealthScript(mapFile)], {
      env: { PATH: `${bin}:/usr/bin:/bin`, ...env },
      encoding: "utf8",
    });
    const pinged = fs.existsSync(log) ? fs.readFileSync(log, "utf8").trim() : "";
    return { status: r.status, stderr: r.stderr, pinged };
  };

  it.each([
    ["gateway answers", { NODE_NAME: "node-a", REACHABLE: "10.0.1.1" }, 0, "", "10.0.1.1"],
    [
      "another node's gateway is what answers",
      { NODE_NAME: "node-b", REACHABLE: "10.0.1.1" },
      1,
      "rack gateway 10.0.2.1 of node node-b is unreachable",
      "10.0.2.1",
    ],
    ["gateway silent", { NODE_NAME: "node-a", REACHABLE: "" }, 1, "100% packet loss", "10.0.1.1"],
    [
      "no ICMP socket allowed",
      { NODE_NAME: "node-a", REACHABLE: "", NO_SOCKET: "1" },
      1,
      "Operation not permitted",
      "10.0.1.1",
    ],
    ["node not in the map", { NODE_NAME: "node-z", REACHABLE: "10.0.1.1" }, 2, "node node-z is not in", ""],
    ["no NODE_NAME", { REACHABLE: "10.0.1.1" }, 2, "NODE_NAME is not set", ""],
    [
      "node name is a prefix of a mapped one",
      { NODE_NAME: "node", REACHABLE: "10.0.1.1" },
      2,
      "is not in",
      "",
    ],
  ])("%s (%j) → exit %i", (_title, env, status, message, pingedAddr) => {
    const r = run(env);
    expect(r.status).toBe(status);
    expect(r.stderr).toContain(message);
    if (pingedAddr) expect(r.pinged).toBe(`-n -q -c 3 -i 0.2 -W 1 ${pingedAddr}`);
    else expect(r.pinged).toBe("");
  });

  it("fails (exit 2) when the ConfigMap is not mounted", () => {
    const r = run({ NODE_NAME: "node-a", REACHABLE: "10.0.1.1" }, path.join(dir, "absent"));
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("expected ConfigMap rack-gateways mounted");
  });

  it("reads the real generated map", () => {
    const model = modelOf(fixture("dc-b"));
    const real = path.join(dir, "real");
    fs.writeFileSync(real, rackGatewayData(model)[RACK_GATEWAYS_KEY]);
    const host = model.racks[3].hosts[0];
    const r = run({ NODE_NAME: host.hostname, REACHABLE: model.racks[3].gateway }, real);
    expect(r.status).toBe(0);
    expect(r.pinged.endsWith(` ${model.racks[3].gateway}`)).toBe(true);
  });
});

describeWithTool("shellcheck", "networkHealthScript", () => {
  it("passes shellcheck as POSIX sh", () => {
    const r = runTool("shellcheck", ["-s", "sh", "-"], networkHealthScript());
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });
});
