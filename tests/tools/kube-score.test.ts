/**
 * kube-score (v1.20.0, built by scripts/toolchain.sh) over every Kubernetes
 * object of every stack, rendered under Pulumi mocks: an auditor that knows
 * nothing of our policy pack. Each finding must be accepted, with its reason,
 * by policy/kube-score-allow.yaml; a new one fails here with kube-score's own
 * words.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { runMocked, type Recorded } from "../helpers/pulumi";
import { commandOutputs, testCa } from "../helpers/kubeconfig";
import { projectDir } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";
import { loadStackFile } from "../../stacks/config";
import { deployDatacenter } from "../../stacks/datacenter";

const STACKS = fs
  .readdirSync(projectDir)
  .map((f) => /^Pulumi\.([^.]+)\.yaml$/.exec(f)?.[1])
  .filter((s): s is string => s !== undefined)
  .sort();

/** The stack a resource belongs to: its name's longest stack prefix (`sim-b-…` is sim-b's, not sim's). */
const stackOf = (name: string) =>
  STACKS.filter((s) => name.startsWith(`${s}-`)).sort((a, b) => b.length - a.length)[0];

interface AllowEntry {
  readonly check: string;
  readonly objects: readonly string[];
  readonly paths?: readonly string[];
  readonly reason: string;
}

/** One finding: kube-score's check, the object (`Kind/namespace/name`), the path (container) and its words. */
export interface Finding {
  readonly check: string;
  readonly object: string;
  readonly path: string;
  readonly summary: string;
}

const glob = (pattern: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, "[^/]*")}$`);

export function allowed(f: Finding, list: readonly AllowEntry[]): boolean {
  return list.some(
    (e) =>
      e.check === f.check &&
      e.objects.some((o) => glob(o).test(f.object)) &&
      (e.paths === undefined || e.paths.some((p) => glob(p).test(f.path))),
  );
}

interface KubeScoreObject {
  readonly type_meta: { kind: string };
  readonly object_meta: { name: string; namespace?: string };
  readonly checks: {
    readonly check: { id: string };
    readonly grade: number;
    readonly skipped: boolean;
    readonly comments: { path: string; summary: string }[] | null;
  }[];
}

/** kube-score grades 10 as OK; anything lower (1 critical, 5 warning) is a finding. */
function findings(report: KubeScoreObject[]): Finding[] {
  return report.flatMap((o) =>
    o.checks
      .filter((c) => !c.skipped && c.grade < 10)
      .flatMap((c) =>
        (c.comments ?? [{ path: "", summary: "" }]).map((m) => ({
          check: c.check.id,
          object: `${o.type_meta.kind}/${o.object_meta.namespace ?? ""}/${o.object_meta.name}`,
          path: m.path,
          summary: m.summary,
        })),
      ),
  );
}

describeWithTool("kube-score", "kube-score over every stack", () => {
  const allowList = parse(
    fs.readFileSync(path.join(projectDir, "policy", "kube-score-allow.yaml"), "utf8"),
  ) as AllowEntry[];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-kube-score-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  let records: Recorded[] = [];
  const models = STACKS.map((s) => loadStackFile(path.join(projectDir, `Pulumi.${s}.yaml`)));

  beforeAll(async () => {
    records = await runMocked(
      () => {
        for (const model of models)
          deployDatacenter(model, { sshPrivateKey: "PRIVATE KEY", kubeconfig: testCa().kubeconfig });
      },
      { outputs: commandOutputs },
    );
  }, 240_000);

  it("the allow-list gives every entry a reason", () => {
    expect(allowList.filter((e) => !(e.reason ?? "").trim()).map((e) => e.check)).toEqual([]);
  });

  it.each(STACKS)("%s: every finding is accepted with a reason in policy/kube-score-allow.yaml", (stack) => {
    const objects = records
      .filter((r) => r.custom && r.type.startsWith("kubernetes:") && stackOf(r.name) === stack)
      .map((r) => r.inputs as Record<string, unknown>);
    expect(objects.length).toBeGreaterThan(50);
    const file = path.join(dir, `${stack}.yaml`);
    fs.writeFileSync(file, objects.map((o) => stringify(o)).join("---\n"));
    const r = runTool("kube-score", [
      "score",
      "--output-format",
      "json",
      "--kubernetes-version",
      "v1.34",
      file,
    ]);
    // Exit status 1 means "found something"; the JSON says what.
    const report = JSON.parse(r.output) as KubeScoreObject[];
    expect(report.length).toBeGreaterThan(20);
    const fresh = findings(report).filter((f) => !allowed(f, allowList));
    expect(fresh.map((f) => `${f.check} ${f.object}${f.path ? ` (${f.path})` : ""}: ${f.summary}`)).toEqual(
      [],
    );
  });

  it("a finding the list does not accept fails (the check is real)", () => {
    const f = {
      check: "container-security-context-privileged",
      object: "Deployment/shop/web",
      path: "app",
      summary: "",
    };
    expect(allowed(f, allowList)).toBe(false);
    expect(allowed({ ...f, object: "DaemonSet/calico-system/calico-node" }, allowList)).toBe(true);
  });
});
