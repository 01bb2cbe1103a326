/**
 * The CI templates a platform team adopts (ci-templates/): the GitHub Actions
 * workflows pass the real actionlint (built from its Go module by the
 * toolchain; it also runs shellcheck over every `run:` script), the GitLab
 * file passes the GitLab CI schema check, and both pipelines keep the
 * promises the README makes: every datacenter previewed with the policy pack,
 * one comment, a failed check on a blocked preview, `up` in order behind
 * approvals.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { checkGitLabPipeline } from "../../scripts/lib/gitlab-ci-schema";
import { describeWithTool, runTool } from "../helpers/tools";

const repo = path.join(__dirname, "..", "..");
const gh = path.join(repo, "ci-templates", "github");
const workflows = ["pulumi-preview.yml", "pulumi-up.yml", "pulumi-drift.yml"].map((f) =>
  path.join(gh, "workflows", f),
);
const gitlabFile = path.join(repo, "ci-templates", "gitlab", "private-cloud.gitlab-ci.yml");
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- workflow YAML
const load = (f: string): any => parse(fs.readFileSync(f, "utf8"));

describeWithTool("actionlint", "GitHub Actions workflows", () => {
  const actionlint = (files: string[]) =>
    runTool("actionlint", ["-config-file", path.join(gh, "actionlint.yaml"), "-no-color", ...files]);

  it("pass actionlint (with shellcheck on every run script)", () => {
    const r = actionlint(workflows);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("a broken workflow is refused (the lint really runs)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-actionlint-"));
    try {
      const bad = path.join(dir, "bad.yml");
      fs.writeFileSync(
        bad,
        fs
          .readFileSync(workflows[0], "utf8")
          .replace("steps.comment.outputs.status", "steps.commment.outputs.status")
          .replace('echo "$?" > "previews/$STACK.exit"', "echo $? > previews/$STACK.exit"),
      );
      const r = actionlint([bad]);
      expect(r.status).not.toBe(0);
      expect(r.output).toContain('property "commment" is not defined');
      expect(r.output).toMatch(/SC2086/); // shellcheck: unquoted variable
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("what the GitHub workflows promise", () => {
  const preview = load(workflows[0]);
  const up = load(workflows[1]);

  it("previews every datacenter in parallel with the policy pack, recording the streamed JSON", () => {
    expect(preview.on.pull_request).toBeDefined();
    const job = preview.jobs.preview;
    expect(job.strategy["fail-fast"]).toBe(false);
    expect(job.strategy.matrix.stack).toContain('["dc-a","dc-b","dc-c"]');
    const script = job.steps.map((s: { run?: string }) => s.run ?? "").join("\n");
    // Streamed JSON: the only form of `preview --json` that carries policy violations.
    expect(script).toMatch(
      /PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true pulumi preview --stack "\$STACK" --policy-pack policy/,
    );
    expect(script).toMatch(/--json > "previews\/\$STACK\.events\.jsonl"/);
  });

  it("comments once (the marker-updating script) and fails on a blocked preview", () => {
    const job = preview.jobs.comment;
    expect(job.needs).toBe("preview");
    expect(job.if).toBe("always()");
    expect(job.permissions["pull-requests"]).toBe("write");
    const steps = job.steps as { run?: string; if?: string }[];
    expect(steps.some((s) => /preview-comment\.ts[\s\S]*--post github/.test(s.run ?? ""))).toBe(true);
    expect(steps.at(-1)?.if).toBe("steps.comment.outputs.status != '0'");
    expect(steps.at(-1)?.run).toContain("exit 1");
  });

  it("runs up per datacenter in order, each behind its environment, never two at once", () => {
    expect(up.on.push.branches).toEqual(["main"]);
    expect(up.concurrency["cancel-in-progress"]).toBe(false);
    const order = ["up-dc-a", "up-dc-b", "up-dc-c"];
    expect(Object.keys(up.jobs)).toEqual(order);
    order.forEach((name, i) => {
      const job = up.jobs[name];
      expect(job.environment).toBe(name.replace("up-", ""));
      expect(job.needs).toBe(i === 0 ? undefined : order[i - 1]);
      const step = job.steps.at(-1);
      expect(step.run).toBe("bash ci-templates/pulumi-up.sh");
      expect(step.env.STACK).toBe(name.replace("up-", ""));
      expect(step.env.SSH_PRIVATE_KEY).toBe("${{ secrets.PLATFORM_SSH_PRIVATE_KEY }}");
    });
  });
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pipeline YAML
type Doc = Record<string, any>;

describe("GitLab CI template", () => {
  const doc = load(gitlabFile);

  it("passes the schema check", () => {
    expect(checkGitLabPipeline(doc)).toEqual([]);
  });

  it.each([
    [
      "a misspelt keyword",
      (d: Doc) => (d.preview.artefacts = d.preview.artifacts),
      /\/preview: must NOT have additional properties \(artefacts\)/,
    ],
    [
      "an unknown stage",
      (d: Doc) => (d.comment.stage = "review"),
      /\/comment\/stage: "review" is not one of the stages/,
    ],
    [
      "a need on a missing job",
      (d: Doc) => (d["up-dc-b"].needs = ["up-dc-x"]),
      /\/up-dc-b\/needs: "up-dc-x" is not a job/,
    ],
    ["a bad rules.when", (d: Doc) => (d.comment.rules[0].when = "sometimes"), /\/comment\/rules\/0\/when/],
    [
      "an extends of nothing",
      (d: Doc) => (d["up-dc-a"].extends = ".upp"),
      /\/up-dc-a\/extends: ".upp" is not a job or template/,
    ],
  ])("refuses %s", (_what, mutate, expected) => {
    const d = load(gitlabFile);
    mutate(d);
    expect(checkGitLabPipeline(d).join("\n")).toMatch(expected);
  });

  it("previews the same datacenters it comments on, and deploys them in order, manually", () => {
    const stacks = doc.preview.parallel.matrix[0].STACK as string[];
    expect(stacks).toEqual(["dc-a", "dc-b", "dc-c"]);
    expect(doc.comment.script.join("\n")).toContain(`--stacks ${stacks.join(",")}`);
    expect(doc.comment.script.join("\n")).toContain("--post gitlab");
    expect(doc.comment.rules[0].when).toBe("always");
    stacks.forEach((s, i) => {
      const job = doc[`up-${s}`];
      expect(job.environment.name).toBe(s);
      expect(job.variables.STACK).toBe(s);
      expect(job.needs).toEqual(i === 0 ? undefined : [`up-${stacks[i - 1]}`]);
    });
    expect(doc[".up"].rules[0].when).toBe("manual");
  });
});

describeWithTool("shellcheck", "ci-templates/pulumi-up.sh", () => {
  it("passes shellcheck", () => {
    const r = runTool("shellcheck", ["-x", path.join(repo, "ci-templates", "pulumi-up.sh")]);
    expect(r.output).toBe("");
  });
});
