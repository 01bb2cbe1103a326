/**
 * The Pulumi program of one business in one datacenter (an Automation API
 * inline program). It reads what the release needs from the datacenter's
 * platform stack through a StackReference — kubeconfig, the release context
 * (namespace, upstream Service, VIP, registry, sidecar images, rack gateways,
 * Elasticsearch), the log writer's password — instead of repeating it.
 */
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { appNames, BusinessApp } from "../components/business-app";
import type { ReleaseContext } from "../components/business-app/platform";
import type { AppSpec, Template } from "./catalog/schema";
import { verifyRollout } from "./rollout";

/** The Pulumi project every business stack belongs to (stacks are `<business>.<dc>`). */
export const RELEASE_PROJECT = "private-cloud-release";
/** The platform's Pulumi project (Pulumi.yaml). */
export const PLATFORM_PROJECT = "private-cloud";

export const stackName = (business: string, dc: string) => `${business}.${dc}`;
/** The platform stack of a datacenter, fully qualified for a StackReference on a file backend. */
export const platformStackRef = (dc: string) => `organization/${PLATFORM_PROJECT}/${dc}`;

/** Platform stack outputs a release reads (index.ts exports them). */
export const PLATFORM_OUTPUTS = {
  kubeconfig: "kubeconfig",
  context: "releaseContext",
  logWriterPassword: "logWriterPassword",
} as const;

async function plainOutput<T>(ref: pulumi.StackReference, name: string, dc: string): Promise<T> {
  const d = await ref.getOutputDetails(name);
  const v = (d.value ?? d.secretValue) as T | undefined;
  if (v === undefined)
    throw new pulumi.RunError(
      `platform stack ${dc} has no output ${JSON.stringify(name)} (expected the platform stack to be up with this version of the program: run \`pulumi up -s ${dc}\` first)`,
    );
  return v;
}

/**
 * Where each stack's Deployment is, with the kubeconfig to read it, as the
 * running program learnt it: inline programs run in the engine's process, so
 * the engine can explain a failed rollout (release/rollout.ts) without
 * asking the platform stack again. Keyed by stack name.
 */
export const rolloutTargets = new Map<string, { kubeconfig: string; namespace: string; name: string }>();

export function releaseProgram(spec: AppSpec, template: Template): () => Promise<Record<string, unknown>> {
  return async () => {
    const dc = spec.datacenter;
    const ref = new pulumi.StackReference(`${dc}-platform`, { name: platformStackRef(dc) });
    const context = await plainOutput<ReleaseContext>(ref, PLATFORM_OUTPUTS.context, dc);
    if (!context.businesses[spec.business])
      throw new pulumi.RunError(
        `business ${JSON.stringify(spec.business)} is not onboarded in datacenter ${dc} (expected one of: ${Object.keys(context.businesses).join(", ") || "(none)"}; add it to private-cloud:businesses in Pulumi.${dc}.yaml and run pulumi up -s ${dc})`,
      );
    const kubeconfig = ref.requireOutput(PLATFORM_OUTPUTS.kubeconfig) as pulumi.Output<string>;
    const provider = new k8s.Provider(`${dc}-k8s`, {
      kubeconfig,
      // Server-side apply, as the platform stack: the HPA owns `replicas` without a fight.
      enableServerSideApply: true,
    });
    const app = new BusinessApp(
      spec.business,
      {
        spec,
        template,
        context,
        logWriterPassword: ref.requireOutput(PLATFORM_OUTPUTS.logWriterPassword) as pulumi.Output<string>,
      },
      { providers: { kubernetes: provider } },
    );
    // Pulumi's wait said the Deployment is updated; check the rollout ourselves
    // (release/rollout.ts): pods that cannot run fail the update, with why.
    const names = appNames(spec.business, app.namespace);
    kubeconfig.apply((kc) =>
      rolloutTargets.set(stackName(spec.business, dc), {
        kubeconfig: kc,
        namespace: names.namespace,
        name: names.deployment,
      }),
    );
    const rollout = pulumi.runtime.isDryRun()
      ? undefined
      : pulumi.unsecret(
          pulumi.all([kubeconfig, app.deployment.metadata.name]).apply(([kc, name]) =>
            verifyRollout(kc, names.namespace, name, spec.rolloutTimeoutSeconds).catch((e: unknown) => {
              throw new pulumi.RunError(
                `${spec.business} in ${dc}: ${e instanceof Error ? e.message : String(e)}`,
              );
            }),
          ),
        );
    return {
      namespace: app.namespace,
      ...(rollout ? { rollout } : {}),
      version: spec.version,
      activeProcessors: app.activeProcessors,
      heapMiB: app.heapMiB,
      vip: context.businesses[spec.business].vip ?? null,
    };
  };
}
