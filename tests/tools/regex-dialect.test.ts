/**
 * The RE2 check config validation runs (stacks/checks/re2.ts) against the
 * real readers of those regexes: amtool parses Alertmanager matchers and
 * promtool parses PromQL label matchers with Go's regexp. Both must agree
 * with validation on every pattern: accepted by one, accepted by all.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeWithTool, runTool } from "../helpers/tools";
import { re2Problem } from "../../stacks/checks/re2";

const patterns: readonly string[] = [
  // valid RE2
  "ingress-.*",
  "(shop|music)-[a-z0-9]+",
  "(?i)critical",
  "[[:alpha:]]{2,5}",
  "a{,3}",
  "(?P<ns>ingress)-.*",
  "\\d+\\.\\d+",
  // JavaScript accepts these; Go's regexp does not
  "ingress-(?!test).*",
  "(?<=ingress-)shop",
  "(Kube)\\1.*",
  "crit.*+",
  "a{1001}",
  "ingress-(.*",
  "\\Z",
];

let dir: string;
beforeAll(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "regex-dialect-"))));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** YAML single-quoted scalar: only ' needs escaping. */
const yamlQuote = (s: string) => `'${s.replace(/'/g, "''")}'`;

describeWithTool("amtool", "Alertmanager matchers: validation agrees with amtool check-config", () => {
  it.each(patterns.map((p) => [p]))("%s", (pattern) => {
    const file = path.join(dir, "alertmanager.yml");
    const matcher = `namespace=~"${pattern.replace(/\\/g, "\\\\")}"`;
    fs.writeFileSync(
      file,
      [
        "route:",
        "  receiver: r",
        "  routes:",
        "    - receiver: r",
        `      matchers: [${yamlQuote(matcher)}]`,
        "receivers:",
        "  - name: r",
        "",
      ].join("\n"),
    );
    const amtool = runTool("amtool", ["check-config", file]);
    const ours = re2Problem(pattern);
    expect({ pattern, refused: amtool.status !== 0 }).toEqual({ pattern, refused: ours !== undefined });
    // Go words the error for the anchored pattern it builds; the kind is the same.
    if (ours) expect(amtool.output).toContain("error parsing regexp");
  });
});

describeWithTool("promtool", "PromQL label matchers: validation agrees with promtool check rules", () => {
  it.each(patterns.map((p) => [p]))("%s", (pattern) => {
    const file = path.join(dir, "rules.yml");
    const expr = `up{namespace=~"${pattern.replace(/\\/g, "\\\\")}"} == 0`;
    fs.writeFileSync(
      file,
      [
        "groups:",
        "  - name: g",
        "    rules:",
        "      - alert: A",
        `        expr: ${yamlQuote(expr)}`,
        "",
      ].join("\n"),
    );
    const promtool = runTool("promtool", ["check", "rules", file]);
    const ours = re2Problem(pattern);
    expect({ pattern, refused: promtool.status !== 0 }).toEqual({ pattern, refused: ours !== undefined });
    if (ours) expect(promtool.output).toContain("error parsing regexp");
  });
});
