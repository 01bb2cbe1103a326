/**
 * The engine's pure parts: what history records (params digest, update
 * message) and how a held stack is described.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { canonicalJson, paramsDigest, parseUpdateMessage, updateMessage } from "../../release/engine";
import { describeLock, findLocks } from "../../release/lock";
import { resolveRelease } from "../../release/catalog/load";
import type { AppSpec } from "../../release/catalog/schema";
import { minimalEntry, tempCatalog } from "../helpers/catalog";

const dir = tempCatalog({ shop: minimalEntry() });
const spec = resolveRelease("shop", { appsDir: dir }).specs.get("sim") as AppSpec;
const state = fs.mkdtempSync(path.join(os.tmpdir(), "pc-state-"));
afterAll(() => [dir, state].forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

describe("history records", () => {
  it("the params digest ignores key order and changes with any value", () => {
    const reordered = JSON.parse(canonicalJson(spec)) as AppSpec;
    const shuffled = Object.fromEntries(Object.entries(reordered).reverse()) as unknown as AppSpec;
    expect(paramsDigest(shuffled)).toBe(paramsDigest(spec));
    expect(paramsDigest({ ...spec, env: { A: "1" } })).not.toBe(paramsDigest(spec));
    expect(paramsDigest(spec)).toMatch(/^[0-9a-f]{12}$/);
  });

  it("the update message carries operation, version, params and who, and parses back", () => {
    const m = updateMessage("rollback", spec, "ana@laptop", { from: "1.0.1" });
    expect(m).toBe(
      `private-cloud release op=rollback version=1.0.0 params=${paramsDigest(spec)} by=ana@laptop from=1.0.1`,
    );
    expect(parseUpdateMessage(m)).toEqual({
      op: "rollback",
      version: "1.0.0",
      params: paramsDigest(spec),
      by: "ana@laptop",
      from: "1.0.1",
    });
    expect(parseUpdateMessage("manual pulumi up")).toBeUndefined();
  });
});

describe("a held stack", () => {
  it("names the holder from Pulumi's lock file", () => {
    const d = path.join(state, ".pulumi", "locks", "private-cloud-release", "shop.sim");
    fs.mkdirSync(d, { recursive: true });
    fs.writeFileSync(
      path.join(d, "0a1b.json"),
      JSON.stringify({ pid: 4242, username: "ana", hostname: "build-7", timestamp: "2026-12-01T02:30:00Z" }),
    );
    const locks = findLocks(`file://${state}`, "private-cloud-release", "shop.sim");
    expect(locks).toHaveLength(1);
    expect(describeLock("shop.sim", locks[0])).toBe(
      `shop.sim is being released by ana@build-7 (pid 4242) since 2026-12-01T02:30:00Z; nothing was changed — wait for that release to finish (if that process is gone, \`npm run unlock -- shop.sim --project private-cloud-release\` removes its lock ${path.join(d, "0a1b.json")}; not \`pulumi cancel\`, which also removes the lock of an update still running)`,
    );
    expect(findLocks(`file://${state}`, "private-cloud-release", "bank.sim")).toEqual([]);
  });
});
