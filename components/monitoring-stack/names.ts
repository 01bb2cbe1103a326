/**
 * Every name of the monitoring stack in one place (the ingress tier's
 * TierNames pattern): Kubernetes object names inside its namespaces, and the
 * Pulumi resource names of its children, built from the component's name.
 * Renaming either replaces the object in a live datacenter (a StatefulSet
 * and its volumes with it), so a change here is a migration, not a refactor.
 */
import type { PrometheusInstanceName } from "./contract";

/** Kubernetes object names (inside the stack's namespaces, or cluster-scoped where said). */
export const objectNames = {
  prometheus: (instance: string) => `prometheus-${instance}`,
  prometheusConfig: (instance: string) => `prometheus-${instance}-config`,
  prometheusRules: (instance: string) => `prometheus-${instance}-rules`,
  /** The rule file one business's releases deliver to the `business` instance (written by its release stack). */
  releaseRules: (business: string) => `prometheus-business-rules-${business}`,
  /** ServiceAccounts of the cluster readers; their ClusterRole/Binding is `<namespace>-<app>` (cluster-scoped). */
  serviceAccount: { prometheus: "prometheus", kubeStateMetrics: "kube-state-metrics" },
  clusterRole: (namespace: string, app: string) => `${namespace}-${app}`,
  nodeExporter: "node-exporter",
  kubeStateMetrics: "kube-state-metrics",
  alertmanager: "alertmanager",
  alertmanagerConfig: "alertmanager-config",
  grafana: "grafana",
  grafanaAdmin: "grafana-admin",
  /** Grafana's ConfigMaps: `ini`, `datasources`, `providers`, `dashboards-<folder>`. */
  grafanaConfigMap: (suffix: string) => `grafana-${suffix}`,
} as const;

/** Pulumi resource names of a MonitoringStack named `component` (children are named after it). */
export function resourceNames(component: string) {
  return {
    namespace: `${component}-ns`,
    nodeExporterNamespace: `${component}-node-exporter-ns`,
    /** ServiceAccount, ClusterRole and ClusterRoleBinding of one cluster reader. */
    reader: (app: string) => `${component}-${app}`,
    /** Service, StatefulSet and PDB of one instance; its ConfigMaps add `-config` / `-rules`. */
    prometheus: (instance: PrometheusInstanceName) => `${component}-${objectNames.prometheus(instance)}`,
    nodeExporter: `${component}-node-exporter`,
    kubeStateMetrics: `${component}-kube-state-metrics`,
    /** Service, StatefulSet and PDB. */
    alertmanager: `${component}-alertmanager`,
    alertmanagerConfig: `${component}-alertmanager-config`,
    grafanaAdminPassword: `${component}-grafana-admin`,
    grafanaAdmin: `${component}-grafana-admin`,
    grafanaConfigMap: (suffix: string) => `${component}-grafana-${suffix}`,
    /** Deployment and Service. */
    grafana: `${component}-grafana`,
  };
}
