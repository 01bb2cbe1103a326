/**
 * Calls policies the way the engine does, without an engine: builds the
 * validation args (props, config, stack resources) and captures every
 * reportViolation. awsguard's src/tests/util.ts style, for resource and stack
 * policies alike.
 */
import type {
  PolicyResource,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { Recorded } from "../helpers/pulumi";

/** A resource as the pack sees it. */
export interface Res {
  readonly type: string;
  readonly name: string;
  readonly props: Record<string, unknown>;
  readonly urn?: string;
}

export interface Violation {
  readonly policy: string;
  readonly level: string;
  readonly message: string;
  readonly urn?: string;
}

type AnyPolicy = ResourceValidationPolicy | StackValidationPolicy;

const urnOf = (r: Res) => r.urn ?? `urn:pulumi:test::private-cloud::${r.type}::${r.name}`;

class NotApplicable extends Error {}

const common = (config: Record<string, unknown>) => ({
  stackTags: new Map<string, string>(),
  getConfig: <T extends object>() => config as T,
  notApplicable: (reason?: string): never => {
    throw new NotApplicable(reason);
  },
});

/** What the engine tells a policy about any resource; the same in both views. */
const identity = (r: Res) => ({
  type: r.type,
  name: r.name,
  urn: urnOf(r),
  props: r.props,
  opts: {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
  },
  isType: () => false,
  asType: () => undefined,
});

export function resourceArgs(r: Res, config: Record<string, unknown> = {}): ResourceValidationArgs {
  return {
    ...identity(r),
    ...common(config),
  };
}

export function policyResource(r: Res): PolicyResource {
  return {
    ...identity(r),
    dependencies: [],
    propertyDependencies: {},
  };
}

export function stackArgs(
  resources: readonly Res[],
  config: Record<string, unknown> = {},
): StackValidationArgs {
  return { resources: resources.map(policyResource), ...common(config) };
}

/** Runs one policy over resources (each resource for resource policies, all at once for stack policies). */
export async function run(
  policy: AnyPolicy,
  resources: readonly Res[],
  config: Record<string, unknown> = {},
): Promise<Violation[]> {
  const out: Violation[] = [];
  const report = (urn?: string) => (message: string, reported?: string) =>
    out.push({
      policy: policy.name,
      level: policy.enforcementLevel ?? "advisory",
      message,
      urn: reported ?? urn,
    });
  try {
    if ("validateStack" in policy) {
      await policy.validateStack(stackArgs(resources, config), report());
    } else {
      const validations = [policy.validateResource ?? []].flat();
      for (const r of resources)
        for (const v of validations) await v(resourceArgs(r, config), report(urnOf(r)));
    }
  } catch (e) {
    if (!(e instanceof NotApplicable)) throw e;
  }
  return out;
}

/** Only the messages, for exact assertions. */
export async function messages(
  policy: AnyPolicy,
  resources: readonly Res[],
  config: Record<string, unknown> = {},
): Promise<string[]> {
  return (await run(policy, resources, config)).map((v) => v.message);
}

/** Every policy over the same resources. */
export async function evaluate(
  policies: readonly AnyPolicy[],
  resources: readonly Res[],
): Promise<Violation[]> {
  const out: Violation[] = [];
  for (const p of policies) out.push(...(await run(p, resources)));
  return out;
}

/** The resources a mocked Pulumi program registered, as the pack would see them (custom resources only). */
export function fromRecorded(records: readonly Recorded[]): Res[] {
  return records
    .filter((r) => r.custom)
    .map((r) => ({ type: r.type, name: r.name, urn: r.urn, props: r.inputs as Record<string, unknown> }));
}
