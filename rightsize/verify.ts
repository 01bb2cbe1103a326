/**
 * A recommendation is printed as a patch only when the patched config passes
 * everything a `pulumi preview --policy-pack policy` would check: the stack's
 * validation (schema, cross-checks, machine capacity) and the whole policy
 * pack over every resource the program registers (under Pulumi mocks, the
 * same evaluation `npm run bench` times). A recommendation that the platform
 * would refuse is a defect of the recommender, never the reviewer's problem.
 */
import * as path from "path";
import { parse } from "yaml";
import { modelFromRaw, rawFromConfigMap } from "../stacks/config";
import { ConfigError } from "../stacks/validate";

export interface Verdict {
  readonly ok: boolean;
  /** Every problem: validation errors by config path, mandatory policy violations by resource. */
  readonly problems: readonly string[];
  readonly advisories: readonly string[];
}

/** Validates a stack file's text and runs the policy pack over the program's resources. */
export async function verifyStackText(text: string, file: string): Promise<Verdict> {
  let model;
  try {
    const config = ((parse(text) as { config?: Record<string, unknown> } | null)?.config ?? {}) as Record<
      string,
      unknown
    >;
    model = modelFromRaw(rawFromConfigMap(config), path.dirname(path.resolve(file)));
  } catch (e) {
    if (e instanceof ConfigError)
      return { ok: false, problems: e.issues.map((i) => `${i.path}: ${i.message}`), advisories: [] };
    throw e;
  }
  // The mocks and the policy harness are loaded only here: they set Pulumi's
  // runtime into mock mode for this process, which the CLI never needs otherwise.
  const { runMocked } = await import("../tests/helpers/pulumi");
  const { commandOutputs } = await import("../tests/helpers/kubeconfig");
  const { deployDatacenter } = await import("../stacks/datacenter");
  const { allPolicies } = await import("../policy/policies");
  const { evaluate, fromRecorded } = await import("../tests/policy/harness");
  // Under mocks nothing connects: a placeholder kubeconfig stands in for the
  // cluster's, so a stack whose kubeconfig file is absent here still renders.
  // Without an engine, Pulumi's log.info writes to stdout: the program's
  // notes about the datacenter ("host access is off…") are not the reader's
  // business here and would corrupt `--json`, so they are dropped; warnings
  // and errors (stderr) still show.
  const info = console.log;
  console.log = () => undefined;
  let records;
  try {
    records = await runMocked(() => deployDatacenter(model, { sshPrivateKey: "KEY", kubeconfig: "mocked" }), {
      stack: model.name,
      outputs: commandOutputs,
    });
  } finally {
    console.log = info;
  }
  const violations = await evaluate(allPolicies(), fromRecorded(records));
  const line = (v: (typeof violations)[number]) => `${v.policy}: ${v.message}`;
  const problems = violations.filter((v) => v.level === "mandatory").map(line);
  return {
    ok: problems.length === 0,
    problems,
    advisories: violations.filter((v) => v.level !== "mandatory").map(line),
  };
}
