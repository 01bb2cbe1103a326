/**
 * The platform owns the fields it sets. With server-side apply a `kubectl`
 * edit (scale, label --overwrite, edit) makes kubectl the manager of that
 * field, and the next `pulumi up --refresh` then failed on the field
 * conflict instead of repairing the drift (issue 14). The kubernetes
 * provider forces ownership per resource with the `pulumi.com/patchForce`
 * annotation: set here, in code, on every object the platform creates, so a
 * repair is `pulumi up --refresh` and nothing else. (The provider-wide
 * `PULUMI_K8S_ENABLE_PATCH_FORCE` environment variable also works, but it
 * changes the provider's inputs from run to run: a lasting provider diff
 * that breaks `--expect-no-changes`.)
 *
 * Forcing only takes the fields the program sets. Fields other controllers
 * own stay theirs because the program never sets them: no `replicas` on a
 * Deployment an HPA scales (components/ingress-tier/manifests.ts), and node
 * labels are written by `NodePatch` resources, which are left out here
 * (a patch shares its object with others by design).
 */
import * as pulumi from "@pulumi/pulumi";

/** The provider's per-resource annotation for forcing server-side apply conflicts. */
export const PATCH_FORCE_ANNOTATION = "pulumi.com/patchForce";

/** True for Kubernetes object types the platform owns outright (not patches, not the provider itself). */
export function isOwnedKubernetesType(type: string): boolean {
  return type.startsWith("kubernetes:") && !type.endsWith("Patch") && !type.startsWith("kubernetes:yaml");
}

type Props = Record<string, unknown>;

/**
 * The resource's inputs with the force annotation added to its metadata
 * (other annotations kept). Returns undefined when the type is not owned.
 */
export function withPatchForce(type: string, props: Props): Props | undefined {
  if (!isOwnedKubernetesType(type)) return undefined;
  const add = (a: Record<string, string> | undefined) => ({ ...(a ?? {}), [PATCH_FORCE_ANNOTATION]: "true" });
  const m = props.metadata;
  // A plain metadata object stays plain: turning it into one Output would make
  // the whole of it (the name too) unknown in a preview whenever any field is.
  if (
    m === undefined ||
    (typeof m === "object" && m !== null && !pulumi.Output.isInstance(m) && !(m instanceof Promise))
  ) {
    const meta = (m ?? {}) as Props;
    const a = meta.annotations;
    const annotations =
      a === undefined ||
      (typeof a === "object" && a !== null && !pulumi.Output.isInstance(a) && !(a instanceof Promise))
        ? add(a as Record<string, string> | undefined)
        : pulumi.output(a as pulumi.Input<Record<string, string>>).apply(add);
    return { ...props, metadata: { ...meta, annotations } };
  }
  const metadata = pulumi
    .output(m as pulumi.Input<Props>)
    .apply((v) => ({ ...(v ?? {}), annotations: add(v?.annotations as Record<string, string> | undefined) }));
  return { ...props, metadata };
}

/** A resource transformation for component options: children inherit it. */
export const platformOwnership: pulumi.ResourceTransformation = (args) => {
  const props = withPatchForce(args.type, args.props as Props);
  return props ? { props, opts: args.opts } : undefined;
};
