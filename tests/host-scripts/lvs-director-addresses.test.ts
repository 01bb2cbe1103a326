/**
 * The director apply script's address handling, run for real with iproute2
 * in a network namespace this test creates (addresses exist only inside
 * it). With the Alibaba implementation the VIPs sit on `lo`, next to the
 * router ID and management loopbacks: the script must remove only the VIPs
 * it added itself and no longer configures (issue 9's defect removed every
 * /32 that was not a VIP).
 */
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { directorAddressLines, directorAnnouncedAddresses } from "../../components/fullnat-lvs/apply";
import { fixture, modelOf } from "../helpers/config";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;

const canNetns =
  process.getuid?.() === 0 && spawnSync("ip", ["netns", "list"], { stdio: "ignore" }).status === 0;
const suite = canNetns ? describe : process.env.CI ? describe : describe.skip;

suite("director addresses on lo (Alibaba), in a network namespace", () => {
  const ns = `pc-lvsaddr-${process.pid}`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lvsaddr-"));
  const ledger = path.join(dir, "ledger");
  const f = fixture("dc-c");
  (f.raw as Raw).lvs.implementation = "alibaba";
  const model = modelOf(f);
  const director = model.config.lvs?.directors[0] as string;
  // The VIPs as /32s and the director's LIP block (first LIP with the block's prefix).
  const vips = directorAnnouncedAddresses(model, director);
  const script = ["set -euo pipefail", ...directorAddressLines(model, director, ledger)].join("\n");
  const addrs = () =>
    execFileSync("ip", ["-n", ns, "-4", "-o", "addr", "show", "dev", "lo"], { encoding: "utf8" })
      .split("\n")
      .map((l) => l.split(/\s+/)[3])
      .filter(Boolean);
  const run = () =>
    execFileSync("ip", ["netns", "exec", ns, "bash", "-c", script], {
      encoding: "utf8",
      // sudo is the identity here (the test runs as root inside the namespace).
      env: { ...process.env, PATH: `${path.join(dir, "bin")}:${process.env.PATH}` },
    });

  beforeAll(() => {
    if (!canNetns) throw new Error("needs root and iproute2 network namespaces");
    fs.mkdirSync(path.join(dir, "bin"));
    fs.writeFileSync(path.join(dir, "bin", "sudo"), '#!/bin/sh\nexec "$@"\n', { mode: 0o755 });
    execFileSync("ip", ["netns", "add", ns]);
    execFileSync("ip", ["-n", ns, "link", "set", "lo", "up"]);
    // Not ours: the router ID and an operator's management loopback.
    execFileSync("ip", ["-n", ns, "addr", "add", "192.0.2.1/32", "dev", "lo"]);
    execFileSync("ip", ["-n", ns, "addr", "add", "198.51.100.7/32", "dev", "lo"]);
  });
  afterAll(() => {
    spawnSync("ip", ["netns", "del", ns]);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("puts every VIP and the LIP block on lo and records them", () => {
    expect(vips).toContain("172.19.251.1/27");
    run();
    expect(addrs()).toEqual(expect.arrayContaining([...vips, "192.0.2.1/32", "198.51.100.7/32"]));
    expect(fs.readFileSync(ledger, "utf8").split("\n").filter(Boolean).sort()).toEqual([...vips].sort());
  });

  it("removes a VIP it added that is no longer configured, and nothing else", () => {
    // A VIP of a removed business, added by an earlier push.
    execFileSync("ip", ["-n", ns, "addr", "add", "172.19.250.61/32", "dev", "lo"]);
    fs.appendFileSync(ledger, "172.19.250.61/32\n");
    run();
    const after = addrs();
    expect(after).not.toContain("172.19.250.61/32");
    expect(after).toEqual(
      expect.arrayContaining([...vips, "192.0.2.1/32", "198.51.100.7/32", "127.0.0.1/8"]),
    );
    expect(fs.readFileSync(ledger, "utf8")).not.toContain("172.19.250.61");
  });

  it("is idempotent: a second run changes nothing", () => {
    const before = addrs().sort();
    run();
    expect(addrs().sort()).toEqual(before);
  });
});
