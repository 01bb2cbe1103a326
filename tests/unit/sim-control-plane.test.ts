/**
 * The simulated datacenter runs MasterHA's rendered control plane
 * (scripts/sim-control-plane.ts): every rendered flag reaches the real
 * binary with its rendered value, except host paths (under the sim's
 * root), etcd's ports (the sim's port base) and the listed additions; and
 * every file a flag names exists once the sim's files are written (the PKI
 * from MasterHA's plan). tests/e2e/sim.test.ts then starts the binaries.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { loadStackFile } from "../../stacks/config";
import {
  CONTROL_PLANE,
  SIM_CHANGES,
  mapPath,
  prepare,
  renderedCommand,
  simCommand,
  simContext,
  type SimPorts,
} from "../../scripts/sim-control-plane";
import { projectDir } from "../helpers/config";

const stackFile = path.join(projectDir, "Pulumi.sim.yaml");
const model = loadStackFile(stackFile);
const p: SimPorts = {
  api: 27643,
  etcdClient: 27601,
  etcdPeer: 27602,
  etcdMetrics: 27603,
  controllerManager: 27657,
  scheduler: 27659,
};
const flagsOf = (argv: string[]) =>
  new Map(argv.slice(1).map((a) => [a.slice(2, a.indexOf("=")), a.slice(a.indexOf("=") + 1)]));

describe.each(CONTROL_PLANE)("%s", (component) => {
  const dir = "/sim";
  const rendered = flagsOf(renderedCommand(simContext(model, p.api), component));
  const sim = flagsOf(simCommand(model, dir, p, component));

  it("runs the rendered binary with every rendered flag, plus only the listed additions", () => {
    expect(simCommand(model, dir, p, component)[0]).toBe(component);
    const added = [...sim.keys()].filter((k) => !rendered.has(k));
    expect(added.sort()).toEqual(Object.keys(SIM_CHANGES[component]).sort());
    expect([...rendered.keys()].filter((k) => !sim.has(k))).toEqual([]);
  });

  it("renders the same flags as the stack's real first master (only addresses differ)", () => {
    const real = flagsOf(renderedCommand({ model, host: model.masters[0] }, component));
    expect([...rendered.keys()].sort()).toEqual([...real.keys()].sort());
  });

  it("keeps each rendered value but for host paths and etcd's ports", () => {
    const etcd = /:(2379|2380|2381)\b/;
    for (const [flag, value] of rendered) {
      const got = sim.get(flag) as string;
      if (value.split(",").some((v) => mapPath(model, dir, v) !== v)) {
        expect({ flag, got }).toEqual({
          flag,
          got: value
            .split(",")
            .map((v) => mapPath(model, dir, v))
            .join(","),
        });
        expect(got.startsWith(`${dir}/root/`)).toBe(true);
      } else if (etcd.test(value)) {
        expect({ flag, got: etcd.test(got) }).toEqual({ flag, got: false });
      } else {
        expect({ flag, got }).toEqual({ flag, got: value });
      }
    }
  });
});

describe("the sim's control-plane files", () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-sim-cp-"));
    prepare(stackFile, dir, p);
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("has every file and directory a rendered flag names (PKI, configs, kubeconfigs)", () => {
    const missing: string[] = [];
    for (const c of CONTROL_PLANE) {
      const argv = fs
        .readFileSync(path.join(dir, "run", `${c}.args`), "utf8")
        .split("\0")
        .filter(Boolean);
      for (const [flag, value] of flagsOf(argv)) {
        for (const v of value.split(",")) {
          if (!v.startsWith(`${dir}/root/`)) continue;
          // The audit log and etcd's data are written by the binaries; their directories must exist.
          const must = flag === "audit-log-path" ? path.dirname(v) : v;
          if (!fs.existsSync(must)) missing.push(`${c} --${flag}: ${must}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it("gives etcd's server certificate client use too (etcd's gateway dials itself with it)", () => {
    const text = execFileSync(
      "openssl",
      ["x509", "-noout", "-text", "-in", mapPath(model, dir, "/etc/kubernetes/pki/etcd/server.crt")],
      { encoding: "utf8" },
    );
    expect(text).toContain("TLS Web Server Authentication, TLS Web Client Authentication");
    expect(text).toContain("IP Address:127.0.0.1");
  });

  it("writes the encryption key once: a second run keeps it", () => {
    const file = mapPath(model, dir, "/etc/kubernetes/encryption-config.yaml");
    const before = fs.readFileSync(file, "utf8");
    expect(before).not.toContain("${ENCRYPTION_KEY}");
    prepare(stackFile, dir, p);
    expect(fs.readFileSync(file, "utf8")).toBe(before);
  });
});
