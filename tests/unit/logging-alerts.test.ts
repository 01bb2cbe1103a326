/**
 * The logging stack's alert rules, checked by the real promtool (Debian
 * package `prometheus`): the rule file is valid, and the important alerts fire
 * on series that should fire them and stay quiet on series that should not.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { ruleFile } from "../../components/common/alerts";
import { loggingAlertRules, loggingThresholds } from "../../components/logging-stack/monitoring";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";

const model = modelOf(fixture("dc-c"));
const groups = loggingAlertRules(model);

describe("logging alert rules (data)", () => {
  it("cover Elasticsearch health red/yellow and filebeat lag", () => {
    expect(groups.flatMap((g) => g.rules.map((r) => r.alert))).toEqual(
      expect.arrayContaining(["ElasticsearchClusterRed", "ElasticsearchClusterYellow", "FilebeatLagging"]),
    );
  });

  it("select this datacenter's cluster and expect all its nodes", () => {
    const nodes = groups[0].rules.find((r) => r.alert === "ElasticsearchNodesMissing");
    expect(nodes?.expr).toBe(
      'max by (cluster) (elasticsearch_cluster_health_number_of_nodes{cluster="dc-c-logs"}) < 8',
    );
  });
});

describeWithTool("promtool", "logging alert rules", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-logging-rules-"));
    fs.writeFileSync(path.join(dir, "logging.rules.yml"), stringify(ruleFile(groups)));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it("pass promtool check rules", () => {
    const r = runTool("promtool", ["check", "rules", path.join(dir, "logging.rules.yml")]);
    expect(r).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
  });

  it("fire and stay quiet as intended (promtool test rules)", () => {
    const backlog = loggingThresholds.filebeatBacklogEvents;
    const tests = {
      rule_files: ["logging.rules.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            {
              series: 'elasticsearch_cluster_health_status{cluster="dc-c-logs",color="red"}',
              values: "0 0 1x10",
            },
            {
              series: 'elasticsearch_cluster_health_status{cluster="dc-c-logs",color="yellow"}',
              values: "0x40",
            },
            // Lagging: the queue never drains below the threshold.
            {
              series: 'filebeat_pipeline_events_active{namespace="ingress-shop",pod="a"}',
              values: `${backlog + 500}x30`,
            },
            // Busy but healthy: bursts that drain.
            {
              series: 'filebeat_pipeline_events_active{namespace="ingress-shop",pod="b"}',
              values: Array.from({ length: 31 }, (_, i) => (i % 3 === 0 ? 0 : 2000)).join(" "),
            },
          ],
          alert_rule_test: [
            {
              eval_time: "10m",
              alertname: "ElasticsearchClusterRed",
              exp_alerts: [
                {
                  exp_labels: { severity: "critical", cluster: "dc-c-logs" },
                  exp_annotations: {
                    summary: "Elasticsearch cluster dc-c-logs is red",
                    description:
                      "At least one primary shard is unassigned: some business logs cannot be written or searched. Check data nodes and their volumes.",
                  },
                },
              ],
            },
            { eval_time: "5m", alertname: "ElasticsearchClusterRed", exp_alerts: [] },
            { eval_time: "40m", alertname: "ElasticsearchClusterYellow", exp_alerts: [] },
            {
              eval_time: "25m",
              alertname: "FilebeatLagging",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "ingress-shop", pod: "a" },
                  exp_annotations: {
                    summary: `ingress-shop/a: filebeat backlog of ${backlog + 500} events`,
                    description:
                      "The sidecar's queue has not drained for 15 minutes: logs reach Elasticsearch late (what fluentd did in the seed). Check Elasticsearch write rejections and the client nodes.",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = path.join(dir, "logging.test.yml");
    fs.writeFileSync(file, stringify(tests));
    const r = runTool("promtool", ["test", "rules", file]);
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
  });
});
