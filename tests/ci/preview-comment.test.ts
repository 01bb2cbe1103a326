/**
 * The pull-request comment, rendered from previews recorded from the real
 * pulumi CLI on the simulated datacenter (scripts/record-previews.sh, state
 * in the S3-compatible backend): a clean preview, one with replacements and
 * deletions, one the API server refused, one with mandatory policy
 * violations. What a reviewer must see first comes first.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
  COMMENT_MARKER,
  MAX_COMMENT_CHARS,
  changesOf,
  policyViolationsFromEventLog,
  readPreviews,
  renderComment,
  urnParts,
  type StackPreview,
} from "../../scripts/lib/preview-comment";

const fixtures = path.join(__dirname, "fixtures", "previews");
const repo = path.join(__dirname, "..", "..");

function recorded(scenario: string, stacks: string[] = []): StackPreview[] {
  const dir = path.join(fixtures, scenario);
  return readPreviews(
    dir,
    stacks,
    (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined),
    () => fs.readdirSync(dir),
  );
}

/** The sections of the comment, in order, by their headings. */
const headings = (md: string) =>
  md.split("\n").filter((l) => /^#{2,3} /.test(l) || l.startsWith("<details>"));

describe("a clean preview (sim from empty)", () => {
  const previews = recorded("clean");
  const { markdown, failed } = renderComment(previews, {
    commit: "0123456789abcdef",
    runUrl: "https://ci/run/1",
  });

  it("passes, and says so in the title", () => {
    expect(failed).toBe(false);
    expect(markdown.startsWith(`${COMMENT_MARKER}\n## Pulumi preview: ✅ every datacenter passes`)).toBe(
      true,
    );
    expect(markdown).toContain("commit `0123456789ab` · [CI run](https://ci/run/1)");
  });

  it("counts what the real preview creates, and nothing to replace or delete", () => {
    const creates = changesOf(previews[0].digest).filter((c) => c.change === "create").length;
    expect(creates).toBeGreaterThan(100);
    expect(markdown).toMatch(
      new RegExp(`\\| \\*\\*sim\\*\\* \\| ✅ passes \\| 0 \\| 0 \\| 0 \\| ${creates} \\| 0 / \\d+ \\|`),
    );
    expect(markdown).not.toContain("Replacements and deletions");
    expect(markdown).not.toContain("Mandatory policy violations");
  });
});

describe("a preview with replacements and deletions (the business renamed)", () => {
  const previews = recorded("replace-delete");
  const { markdown, failed } = renderComment(previews);
  const changes = changesOf(previews[0].digest);

  it("finds the replaced dashboards ConfigMap and the deleted tier in the real preview", () => {
    const replaced = changes.filter((c) => c.change === "replace").map((c) => c.name);
    expect(replaced).toContain("sim-monitoring-grafana-dashboards-business");
    expect(changes.some((c) => c.change === "delete" && /shop-/.test(c.name))).toBe(true);
    expect(changes.some((c) => c.change === "create" && /shop2/.test(c.name))).toBe(true);
    // A replacement is one change per resource, not its three steps.
    const urns = changes.map((c) => c.urn);
    expect(new Set(urns).size).toBe(urns.length);
  });

  it("lists replacements and deletions before anything else, deletions first, with the property that forces the replace", () => {
    const h = headings(markdown);
    expect(h[0]).toMatch(/^## Pulumi preview/);
    expect(h[1]).toMatch(/^### ⚠️ Replacements and deletions: review these first \(\d+\)/);
    const table = markdown.slice(markdown.indexOf("### ⚠️"), markdown.indexOf("<details>"));
    const rows = table.split("\n").filter((l) => l.startsWith("| sim |"));
    const kinds = rows.map((r) => (r.includes("🗑️ delete") ? "delete" : "replace"));
    expect(kinds).toEqual([...kinds].sort()); // every delete before every replace
    expect(rows.find((r) => r.includes("grafana-dashboards-business"))).toMatch(/pc-nginx-shop\.json/);
  });

  it("does not fail the check: changes are for review, not a policy breach", () => {
    expect(failed).toBe(false);
  });
});

describe("a preview the API server refused (the Elasticsearch volume resized as well)", () => {
  const previews = recorded("preview-error");
  const { markdown, failed } = renderComment(previews);

  it("fails the check and quotes the API server's refusal", () => {
    expect(failed).toBe(true);
    expect(markdown).toContain("| **sim** | ❌ preview failed (exit 1) |");
    expect(markdown).toMatch(/### sim: errors\n\n```\n[^`]*StatefulSet\.apps "es-data" is invalid/);
  });

  it("still lists the replacement the reviewer must look at", () => {
    expect(markdown).toMatch(
      /\| sim \| ♻️ replace \| `kubernetes:apps\/v1:StatefulSet` \| `sim-logging-data` \| [^|]*volumeClaimTemplates/,
    );
  });
});

describe("a preview with mandatory policy violations (the seed's bad tier)", () => {
  const previews = recorded("violations");
  const { markdown, failed } = renderComment(previews);

  it("reads the violations from the streamed engine events", () => {
    const mandatory = previews[0].violations.filter((v) => v.enforcementLevel === "mandatory");
    expect(mandatory.map((v) => v.policyName)).toEqual(
      expect.arrayContaining(["cpu-limit-worker-consistency", "probe-timeouts"]),
    );
  });

  it("fails the check, names the datacenter in the title, and quotes each violation", () => {
    expect(failed).toBe(true);
    expect(markdown).toMatch(/^.*\n## Pulumi preview: ❌ bad blocked/);
    expect(markdown).toMatch(/\| \*\*bad\*\* \| ❌ \d+ mandatory policy violations? \|/);
    expect(markdown).toMatch(/### ❌ Mandatory policy violations \(\d+\): these block the merge/);
    expect(markdown).toMatch(
      /\| bad \| `cpu-limit-worker-consistency` \| `[^`]+` \| [^|]*worker-processes[^|]*\|/,
    );
  });
});

describe("several datacenters in one comment", () => {
  it("one failed datacenter fails the check; the others still show", () => {
    const all = [
      ...recorded("clean").map((p) => ({ ...p, stack: "dc-a" })),
      ...recorded("replace-delete").map((p) => ({ ...p, stack: "dc-b" })),
      ...recorded("violations").map((p) => ({ ...p, stack: "dc-c" })),
    ];
    const { markdown, failed } = renderComment(all);
    expect(failed).toBe(true);
    expect(markdown).toContain("## Pulumi preview: ❌ dc-c blocked");
    for (const dc of ["dc-a", "dc-b", "dc-c"]) expect(markdown).toContain(`| **${dc}** |`);
    expect(markdown.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
  });

  it("a datacenter whose job recorded nothing fails, it does not silently pass", () => {
    const previews = recorded("clean", ["sim", "dc-b"]);
    const { markdown, failed } = renderComment(previews);
    expect(failed).toBe(true);
    expect(markdown).toContain("| **dc-b** | ❌ preview failed (exit 1) |");
    expect(markdown).toContain("no preview was recorded for this datacenter");
  });
});

describe("building blocks", () => {
  it("reads a resource's kind and name from its URN", () => {
    expect(
      urnParts(
        "urn:pulumi:sim::private-cloud::private-cloud:ingress:IngressTier$kubernetes:apps/v1:Deployment::sim-shop-nginx",
      ),
    ).toEqual({
      type: "kubernetes:apps/v1:Deployment",
      name: "sim-shop-nginx",
    });
  });
  it("skips event-log lines cut short and keeps excepted violations apart", () => {
    const log = [
      '{"sequence":1,"policyEvent":{"resourceUrn":"urn:a","message":"m","policyName":"p","policyPackName":"pk","enforcementLevel":"mandatory","exceptions":[{"id":"1"}]}}',
      '{"sequence":2,"policyEvent":{"resourceU',
    ].join("\n");
    expect(policyViolationsFromEventLog(log)).toEqual([
      {
        urn: "urn:a",
        policyName: "p",
        policyPackName: "pk",
        enforcementLevel: "mandatory",
        message: "m",
        excepted: true,
      },
    ]);
  });
  it("cuts an over-long comment at the per-datacenter lists, keeping the summary and the risky changes", () => {
    const many: StackPreview = {
      stack: "big",
      exitCode: 0,
      violations: [],
      digest: {
        steps: Array.from({ length: 3000 }, (_, i) => ({
          op: i % 2 ? "create" : "delete",
          urn: `urn:pulumi:big::p::kubernetes:core/v1:ConfigMap::a-rather-long-config-map-name-${i}`,
        })),
      },
    };
    const { markdown } = renderComment([many]);
    expect(markdown.length).toBeLessThanOrEqual(MAX_COMMENT_CHARS);
    expect(markdown).toContain("## Pulumi preview");
    expect(markdown).toContain("cut to fit one comment");
  });
});

describe("scripts/preview-comment.ts", () => {
  const cli = (args: string[]) =>
    spawnSync("npx", ["ts-node", "--transpile-only", "scripts/preview-comment.ts", ...args], {
      cwd: repo,
      encoding: "utf8",
      timeout: 60_000,
    });

  it("exits 1 on a blocked preview and writes the comment anyway", () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "pc-comment-")), "comment.md");
    const r = cli(["--dir", path.join(fixtures, "violations"), "--out", out]);
    expect(r.status).toBe(1);
    expect(fs.readFileSync(out, "utf8")).toContain("Mandatory policy violations");
    fs.rmSync(path.dirname(out), { recursive: true, force: true });
  }, 60_000);

  it("exits 0 on a clean preview, 2 on a directory that is not there", () => {
    expect(cli(["--dir", path.join(fixtures, "clean")]).status).toBe(0);
    const bad = cli(["--dir", "/nonexistent/previews"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--dir: "/nonexistent/previews" is not a directory');
  }, 60_000);
});
