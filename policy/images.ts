/**
 * image-pinning. Every image is pulled from the datacenter's registry mirror
 * (the datacenters pull nothing from the internet, and an image that is not in
 * the mirror fails at the worst time: on a node replacing a dead one), by an
 * immutable tag or a digest: `latest` or no tag means a node that pulls later
 * runs different code from its neighbours, and a rollback rolls back nothing.
 * stacks/images.ts builds every reference the platform deploys this way.
 */
import {
  asK8s,
  configOf,
  configSchema,
  type ConfigOf,
  type EnforcementLevel,
  type ResourceValidationPolicy,
} from "./common";
import { allContainers, subject, workloadOf, type Container, type Workload } from "./k8s";
import { parseImage } from "./parsers";

export const imageSettings = {
  registryPattern: {
    // The three datacenters' mirrors: registry.dc-a.cloud.internal, registry.dc-b.cloud.internal:5000, …
    // and the simulated datacenter's registry on loopback (127.0.0.1:<port>,
    // scripts/sim.sh): loopback is never the internet, which is what this refuses.
    default: "^(registry\\.[a-z0-9-]+\\.cloud\\.internal|127\\.0\\.0\\.1)(:[0-9]+)?(/|$)",
    description:
      "Regular expression the registry part of every image (host[:port][/path]) must match: the datacenter's mirror. Set it per datacenter to the exact private-cloud:images.registry.",
  },
  forbiddenTags: { default: ["latest"], description: "Tags that move and are refused." },
} as const;

type Config = ConfigOf<typeof imageSettings>;

export function imageProblems(w: Workload, c: Container, cfg: Config): string[] {
  const who = subject(w, c.name);
  if (!c.image) return [`${who}: has no image — set an image from the registry mirror with a pinned tag`];
  const ref = parseImage(c.image);
  const out: string[] = [];
  if (!ref.tag && !ref.digest)
    out.push(
      `${who}: image ${c.image} has no tag (the runtime pulls latest) — pin a version tag or a digest`,
    );
  else if (ref.tag && !ref.digest && cfg.forbiddenTags.includes(ref.tag))
    out.push(`${who}: image ${c.image} uses the moving tag ${ref.tag} — pin a version tag or a digest`);
  const registry = ref.registry ?? "docker.io";
  if (!new RegExp(cfg.registryPattern).test(`${registry}/${ref.repository}`))
    out.push(
      `${who}: image ${c.image} is not from the registry mirror (registry ${ref.registry ?? "docker.io, implied"}) — pull it through the mirror matching /${cfg.registryPattern}/`,
    );
  return out;
}

export function imagePinning(enforcementLevel: EnforcementLevel = "mandatory"): ResourceValidationPolicy {
  return {
    name: "image-pinning",
    description: "No `latest` or missing tags; every image comes from the configured registry mirror.",
    enforcementLevel,
    configSchema: configSchema(imageSettings),
    validateResource: (args, reportViolation) => {
      const w = workloadOf(asK8s(args));
      if (!w) return;
      const cfg = configOf(args, imageSettings);
      for (const c of allContainers(w.spec)) for (const m of imageProblems(w, c, cfg)) reportViolation(m);
    },
  };
}
