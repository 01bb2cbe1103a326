/**
 * `render`: the Kubernetes objects a release would apply, as YAML, with no
 * cluster and no state. The release context comes from the datacenter's
 * stack file (`Pulumi.<dc>.yaml` + its CMDB inventory) through the same
 * function the platform stack exports it with; secrets are shown as a
 * placeholder.
 */
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { loadStackFile } from "../stacks/config";
import { ConfigError } from "../stacks/validate";
import { appManifests, type AppManifests } from "../components/business-app/manifests";
import { releaseContext, type ReleaseContext } from "../components/business-app/platform";
import { clientUrl, LOG_WRITER_USER } from "../components/logging-stack/elasticsearch";
import { LOG_WRITER_SECRET_KEYS } from "../components/common/filebeat";
import type { AppSpec, Template } from "./catalog/schema";

export const PROJECT_DIR = path.join(__dirname, "..");

/** The release context of a datacenter computed from its stack file (what its platform stack exports). */
export function contextFromStackFile(dc: string, projectDir = PROJECT_DIR): ReleaseContext {
  const file = path.join(projectDir, `Pulumi.${dc}.yaml`);
  if (!fs.existsSync(file))
    throw new ConfigError(
      [
        {
          path: "--dc",
          message: `${JSON.stringify(dc)} has no stack file Pulumi.${dc}.yaml (expected a datacenter of this repository: render reads its stack file, no cluster needed)`,
        },
      ],
      "command line",
    );
  return releaseContext(loadStackFile(file), { hosts: [clientUrl()], username: LOG_WRITER_USER });
}

type Obj = { apiVersion: string; kind: string } & Record<string, unknown>;

/** The objects in apply order (config first), with apiVersion and kind. */
export function renderObjects(m: AppManifests): Obj[] {
  const o = (apiVersion: string, kind: string, body: object): Obj => ({ apiVersion, kind, ...body });
  return [
    o("v1", "ConfigMap", m.rackGateways),
    o("v1", "ConfigMap", m.filebeatConfig),
    o("v1", "ConfigMap", m.configFiles),
    ...(m.s6Services ? [o("v1", "ConfigMap", m.s6Services)] : []),
    o("v1", "Secret", {
      ...m.logWriterSecret,
      stringData: {
        [LOG_WRITER_SECRET_KEYS.username]: "(from the platform stack)",
        [LOG_WRITER_SECRET_KEYS.password]: "(secret, from the platform stack)",
      },
    }),
    o("v1", "ConfigMap", m.alertRules),
    o("apps/v1", "Deployment", m.deployment),
    o("autoscaling/v2", "HorizontalPodAutoscaler", m.hpa),
    o("policy/v1", "PodDisruptionBudget", m.pdb),
    o("networking.k8s.io/v1", "NetworkPolicy", m.metricsPolicy),
  ];
}

export function renderYaml(spec: AppSpec, template: Template, ctx: ReleaseContext): string {
  const m = appManifests(spec, template, ctx);
  return renderObjects(m)
    .map(
      (obj) => `# ${spec.business} in ${spec.datacenter}: ${obj.kind}\n${stringify(obj, { lineWidth: 0 })}`,
    )
    .join("---\n");
}
