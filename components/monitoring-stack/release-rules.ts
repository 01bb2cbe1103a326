/**
 * How a business release's alert rules reach the `business` Prometheus
 * instance, when the release is a Pulumi stack of its own (`<business>.<dc>`)
 * and the Prometheus StatefulSet belongs to the platform stack.
 *
 * The platform stack knows every onboarded business, so the business
 * instance mounts one projected volume at RELEASE_RULES_DIR with an
 * **optional** ConfigMap source per business (`objectNames.releaseRules`),
 * each projected to `<business>.yml`. The release stack writes (and on
 * destroy deletes) that ConfigMap in the monitoring namespace. The kubelet
 * refreshes projected ConfigMap volumes in place (about a minute), and
 * Prometheus re-reads its rule files when their checksum changes
 * (`--enable-feature=auto-reload-config`, Prometheus ≥ 3.0, polling every
 * RELEASE_RULES_RELOAD_SECONDS) — no reloader sidecar, no pod restart, and a
 * broken file is refused by Prometheus with the old rules kept
 * (`prometheus_config_last_reload_successful`, alerted on by the platform).
 *
 * A business not released yet has no ConfigMap: the optional source projects
 * nothing. Onboarding a business adds a source, which rolls the pods once,
 * like any platform change to the instance.
 */
import type * as k8s from "@pulumi/kubernetes";
import type { PrometheusInstanceName } from "./contract";
import { objectNames } from "./names";
import { RELEASE_RULES_DIR } from "./prometheus-config";

/** The instance that evaluates business rules (it scrapes the business pods). */
export const RELEASE_RULES_INSTANCE: PrometheusInstanceName = "business";
/** The ConfigMap key holding the rule file. */
export const RELEASE_RULES_KEY = "rules.yml";
/** How often Prometheus checks its config and rule files for a change, seconds. */
export const RELEASE_RULES_RELOAD_SECONDS = 30;

/** Where a business release writes its rules: the ConfigMap the business instance projects. */
export interface ReleaseRulesTarget {
  readonly namespace: string;
  readonly configMap: string;
  readonly key: string;
  /** The file Prometheus reads it as (for people and tests). */
  readonly path: string;
}

export function releaseRulesTarget(monitoringNamespace: string, business: string): ReleaseRulesTarget {
  return {
    namespace: monitoringNamespace,
    configMap: objectNames.releaseRules(business),
    key: RELEASE_RULES_KEY,
    path: `${RELEASE_RULES_DIR}/${business}.yml`,
  };
}

/** The projected volume's sources: one optional ConfigMap per onboarded business, sorted. */
export function releaseRuleSources(
  businesses: readonly string[],
): k8s.types.input.core.v1.VolumeProjection[] {
  return [...businesses].sort().map((b) => ({
    configMap: {
      name: objectNames.releaseRules(b),
      optional: true,
      items: [{ key: RELEASE_RULES_KEY, path: `${b}.yml` }],
    },
  }));
}

/** Prometheus flags that reload config and rule files when they change on disk. */
export function autoReloadArgs(): string[] {
  return [
    "--enable-feature=auto-reload-config",
    `--config.auto-reload-interval=${RELEASE_RULES_RELOAD_SECONDS}s`,
  ];
}
