/**
 * What a business release needs from its datacenter's platform stack. The
 * platform stack exports it (`releaseContext` in index.ts, computed here from
 * the model), business stacks read it through a StackReference, and `render`
 * computes the same value from the stack file without any state — one
 * function, so the three cannot disagree.
 */
import type { DatacenterModel } from "../../stacks/model";
import { imagesFor } from "../../stacks/images";
import { rackGatewayData } from "../common/network-health";
import { tierNames } from "../ingress-tier/manifests";
import { vipAssignments } from "../fullnat-lvs/vips";
import { releaseRulesTarget, type ReleaseRulesTarget } from "../monitoring-stack/release-rules";

/** One onboarded business, as its platform stack set it up. */
export interface OnboardedBusiness {
  /** Namespace the business's workloads run in (created by the platform's IngressTier). */
  readonly namespace: string;
  /** The ingress tier's upstream Service (selects the business's Jetty pods). */
  readonly upstreamService: string;
  /** The port that Service targets on the pods. */
  readonly upstreamPort: number;
  /** The business VIP on the LVS tier (absent when the datacenter has no LVS tier). */
  readonly vip?: string;
  /** The tier's namespace (its nginx metrics carry it as controller_namespace). */
  readonly ingressNamespace: string;
  /** Where the release writes its alert rules: the ConfigMap the business Prometheus projects (monitoring-stack/release-rules.ts). */
  readonly alertRules: ReleaseRulesTarget;
}

/** The platform stack's `releaseContext` output. Everything in it is plain (no secrets). */
export interface ReleaseContext {
  readonly datacenter: string;
  /** The datacenter's registry mirror (business images are `<registry>/<image>:<version>`). */
  readonly registry: string;
  /** Platform images business pods carry (sidecars). */
  readonly images: { readonly filebeat: string; readonly networkCheck: string };
  /** hostname → rack gateway (the network-health sidecar's map, components/common/network-health.ts). */
  readonly rackGateways: Record<string, string>;
  /** Elasticsearch client URLs and the log writer user; the password is the `logWriterPassword` secret output. */
  readonly logging: { readonly hosts: readonly string[]; readonly username: string };
  /** Onboarded businesses by name. */
  readonly businesses: Record<string, OnboardedBusiness>;
}

/** The release context of a datacenter, from its model and its logging stack's endpoints. */
export function releaseContext(
  model: DatacenterModel,
  logging: { readonly hosts: readonly string[]; readonly username: string },
): ReleaseContext {
  const images = imagesFor(model);
  const vips = new Map(vipAssignments(model).map((a) => [a.business, a.vip]));
  return {
    datacenter: model.name,
    registry: model.config.images.registry,
    images: { filebeat: images.filebeat, networkCheck: images.networkCheck },
    rackGateways: rackGatewayData(model),
    logging: { hosts: [...logging.hosts], username: logging.username },
    businesses: Object.fromEntries(
      model.config.businesses.map((b) => {
        const n = tierNames(b.name);
        const vip = vips.get(b.name);
        return [
          b.name,
          {
            namespace: n.appNamespace,
            upstreamService: n.upstreamService,
            upstreamPort: b.upstreamPort,
            ingressNamespace: n.namespace,
            alertRules: releaseRulesTarget(model.namespaces.platform.monitoring, b.name),
            ...(vip ? { vip } : {}),
          },
        ];
      }),
    ),
  };
}
