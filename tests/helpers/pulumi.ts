/**
 * Runs Pulumi code under mocks and records every registered resource with its
 * inputs, parent and dependencies, so component tests can assert on the graph
 * (names, parents, ordering) as well as on fields.
 *
 * Import this module before any component, and call `runMocked` once per test
 * file (Pulumi's runtime state is per module registry, which jest makes per file).
 */
import * as pulumi from "@pulumi/pulumi";

export interface Recorded {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs are whatever the resource took
  readonly inputs: any;
  /** Logical name of the parent resource ("" for the stack). */
  readonly parent: string;
  readonly parentType: string;
  /** URNs this resource depends on (dependsOn and input dependencies). */
  readonly dependsOn: readonly string[];
}

export interface MockOptions {
  readonly stack?: string;
  readonly preview?: boolean;
  /** Config values, as `private-cloud:key` → value (objects are JSON-encoded for Pulumi). */
  readonly config?: Record<string, unknown>;
  /** Extra output properties a resource reports (what a provider would compute, e.g. a command's stdout). */
  readonly outputs?: (resource: {
    type: string;
    name: string;
    inputs: Record<string, unknown>;
  }) => Record<string, unknown> | undefined;
}

const nameOf = (urn: string) => urn.split("::").pop() ?? "";
const typeOf = (urn: string) => (urn.split("::")[2] ?? "").split("$").pop() ?? "";

export async function runMocked(program: () => unknown, options: MockOptions = {}): Promise<Recorded[]> {
  const records: Recorded[] = [];
  const pending: Promise<unknown>[] = [];
  if (options.config) {
    const encoded: Record<string, string> = {};
    for (const [k, v] of Object.entries(options.config))
      encoded[k] = typeof v === "string" ? v : JSON.stringify(v);
    process.env.PULUMI_CONFIG = JSON.stringify(encoded);
    // The runtime caches config; reset it so this run sees ours.
    (pulumi.runtime as unknown as { resetConfig?: () => void }).resetConfig?.();
    pulumi.runtime.setAllConfig(encoded);
  }
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const extra = options.outputs?.({ type: args.type, name: args.name, inputs: args.inputs }) ?? {};
        return { id: args.custom ? `${args.name}-id` : "", state: { ...args.inputs, ...extra } };
      },
      call(args) {
        return args.inputs;
      },
    },
    "private-cloud",
    options.stack ?? "test",
    options.preview ?? false,
  );
  // The mock monitor does not report parents or dependencies to `newResource`;
  // wrap it to capture them from the registration request itself.
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the monitor is an untyped gRPC stub
  const monitor = pulumi.runtime.getMonitor() as any;
  const register = monitor.registerResource.bind(monitor);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  monitor.registerResource = (req: any, callback: (err: unknown, res: any) => void) => {
    const done = new Promise((resolve) => {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      register(req, (err: unknown, res: any) => {
        if (!err && res) {
          const parentUrn: string = req.getParent();
          records.push({
            type: req.getType(),
            name: req.getName(),
            urn: res.getUrn(),
            custom: req.getCustom(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
            parent: parentUrn ? nameOf(parentUrn) : "",
            parentType: parentUrn ? typeOf(parentUrn) : "",
            dependsOn: req.getDependenciesList(),
          });
        }
        callback(err, res);
        resolve(undefined);
      });
    });
    pending.push(done);
  };
  await program();
  // Registrations are asynchronous; wait until no new one has started for a while.
  let seen = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 10));
    await Promise.all(pending);
    if (pending.length === seen) quiet++;
    else quiet = 0;
    seen = pending.length;
  }
  return records;
}

/** The value inside an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(output).apply((v) => resolve(v as T)));
}

export function byType(records: readonly Recorded[], type: string): Recorded[] {
  return records.filter((r) => r.type === type);
}

export function named(records: readonly Recorded[], name: string): Recorded {
  const r = records.find((x) => x.name === name);
  if (!r) throw new Error(`no resource named ${name}; have: ${records.map((x) => x.name).join(", ")}`);
  return r;
}

/** A builder's Input-typed object seen as the plain value it is (builders return literals, never Outputs). */
export function plain<T>(value: T): pulumi.Unwrap<T> {
  return value as unknown as pulumi.Unwrap<T>;
}
