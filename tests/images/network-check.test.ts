/**
 * The network-check image runs the sidecar's real readiness script
 * (components/common/network-health.ts) inside a network namespace this test
 * creates: ready while the rack gateway answers, not ready once it does not.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  networkHealthScript,
  NETWORK_HEALTH_UID,
  PING_GROUP_RANGE_SYSCTL,
} from "../../components/common/network-health";
import { describeImage, loadImage, podman } from "./podman";

jest.setTimeout(120_000);

const netns = `pc-netcheck-${process.pid}`;
// Addresses inside the namespace only (a veth pair the test makes).
const podAddr = "192.0.2.2";
const gateway = "192.0.2.1";

function sh(cmd: string) {
  const r = spawnSync("bash", ["-c", cmd], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
}

describeImage("network-check")("network-check image", () => {
  let image: string;
  let dir: string;
  beforeAll(() => {
    image = loadImage("network-check");
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-netcheck-"));
    fs.writeFileSync(path.join(dir, "gateways"), `node-a ${gateway}\n`);
    fs.chmodSync(dir, 0o755);
    // A namespace with a veth pair: the "gateway" end lives in a second
    // namespace, so taking its link down makes the gateway unreachable.
    sh(`ip netns add ${netns} && ip netns add ${netns}-gw`);
    sh(`ip link add ${netns}-a type veth peer name ${netns}-b`.replace(/pc-netcheck-/g, "pcn"));
    sh(`ip link set pcn${process.pid}-a netns ${netns} && ip link set pcn${process.pid}-b netns ${netns}-gw`);
    sh(
      `ip -n ${netns} addr add ${podAddr}/24 dev pcn${process.pid}-a && ip -n ${netns} link set pcn${process.pid}-a up && ip -n ${netns} link set lo up`,
    );
    sh(
      `ip -n ${netns}-gw addr add ${gateway}/24 dev pcn${process.pid}-b && ip -n ${netns}-gw link set pcn${process.pid}-b up`,
    );
  });
  afterAll(() => {
    spawnSync("ip", ["netns", "del", netns]);
    spawnSync("ip", ["netns", "del", `${netns}-gw`]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The readiness probe as kubelet would run it: the same script, user and sysctl as the sidecar. */
  function probe() {
    return podman([
      "run",
      "--rm",
      "--network",
      `ns:/run/netns/${netns}`,
      "--user",
      `${NETWORK_HEALTH_UID}:${NETWORK_HEALTH_UID}`,
      "--cap-drop",
      "ALL",
      "--sysctl",
      `${PING_GROUP_RANGE_SYSCTL.name}=${PING_GROUP_RANGE_SYSCTL.value}`,
      "-e",
      "NODE_NAME=node-a",
      "-v",
      `${dir}:/etc/private-cloud/rack-gateways:ro`,
      image,
      "/bin/sh",
      "-c",
      networkHealthScript(),
    ]);
  }

  it("is ready while the rack gateway answers ping, with no capability, as nobody", () => {
    const r = probe();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("reports not ready when the gateway is unreachable", () => {
    sh(`ip -n ${netns}-gw link set pcn${process.pid}-b down`);
    const r = probe();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`rack gateway ${gateway} of node node-a is unreachable`);
  });
});
