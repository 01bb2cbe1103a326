/**
 * The ingress tiers' alert rules, checked by the real promtool: valid rule
 * file, and the 5xx-ratio, latency and throttling alerts fire on bad series
 * and stay quiet on healthy ones.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { ruleFile } from "../../components/common/alerts";
import { ingressAlertRules, ingressThresholds } from "../../components/ingress-tier/alerts";
import { describeWithTool, runTool } from "../helpers/tools";

const groups = ingressAlertRules();

describe("ingress alert rules (data)", () => {
  it("keep nginx series and cAdvisor/kube-state-metrics series in separate groups (different Prometheus instances)", () => {
    const [traffic, capacity] = groups;
    for (const r of traffic.rules) expect(r.expr).toMatch(/nginx_ingress_controller_/);
    for (const r of capacity.rules) expect(r.expr).not.toMatch(/nginx_/);
  });
});

describeWithTool("promtool", "ingress alert rules", () => {
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-ingress-rules-"));
    fs.writeFileSync(path.join(dir, "ingress.rules.yml"), stringify(ruleFile(groups)));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true }));

  it("pass promtool check rules", () => {
    expect(runTool("promtool", ["check", "rules", path.join(dir, "ingress.rules.yml")])).toEqual({
      status: 0,
      output: expect.stringContaining("SUCCESS"),
    });
  });

  it("fire and stay quiet as intended (promtool test rules)", () => {
    // Counters per minute: shop answers 1000 requests/min, 100 of them 5xx (10%);
    // music 1000/min with 10 5xx (1%).
    const counter = (perMinute: number) => `0+${perMinute}x30`;
    const req = (ns: string, status: string) =>
      `nginx_ingress_controller_requests{controller_namespace="${ns}",status="${status}"}`;
    const bucket = (ns: string, le: string) =>
      `nginx_ingress_controller_request_duration_seconds_bucket{controller_namespace="${ns}",le="${le}"}`;
    const cfs = (metric: string, pod: string) =>
      `container_cpu_cfs_${metric}_total{namespace="ingress-shop",pod="${pod}",container="controller"}`;
    const tests = {
      rule_files: ["ingress.rules.yml"],
      evaluation_interval: "1m",
      tests: [
        {
          interval: "1m",
          input_series: [
            { series: req("ingress-shop", "200"), values: counter(900) },
            { series: req("ingress-shop", "503"), values: counter(100) },
            { series: req("ingress-music", "200"), values: counter(990) },
            { series: req("ingress-music", "502"), values: counter(10) },
            // shop: every request takes 2-5 s; music: all under 0.1 s.
            { series: bucket("ingress-shop", "0.1"), values: counter(0) },
            { series: bucket("ingress-shop", "5"), values: counter(1000) },
            { series: bucket("ingress-shop", "+Inf"), values: counter(1000) },
            { series: bucket("ingress-music", "0.1"), values: counter(1000) },
            { series: bucket("ingress-music", "5"), values: counter(1000) },
            { series: bucket("ingress-music", "+Inf"), values: counter(1000) },
            // pod a throttled in half its periods, pod b in 5%.
            { series: cfs("periods", "a"), values: counter(600) },
            { series: cfs("throttled_periods", "a"), values: counter(300) },
            { series: cfs("periods", "b"), values: counter(600) },
            { series: cfs("throttled_periods", "b"), values: counter(30) },
          ],
          alert_rule_test: [
            {
              eval_time: "15m",
              alertname: "IngressHigh5xxRatio",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", controller_namespace: "ingress-shop" },
                  exp_annotations: {
                    summary: "ingress-shop: 10% of responses are 5xx",
                    description: `More than ${ingressThresholds.errorRatioWarn * 100}% of the tier's responses were 5xx for 5 minutes: check the Jetty upstreams and the tier's nginx latency panel.`,
                  },
                },
              ],
            },
            { eval_time: "15m", alertname: "IngressCritical5xxRatio", exp_alerts: [] },
            {
              eval_time: "20m",
              alertname: "IngressHighLatency",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", controller_namespace: "ingress-shop" },
                  exp_annotations: {
                    summary: "ingress-shop: p99 request time 4.951s",
                    description: `p99 of requests through nginx above ${ingressThresholds.latencyP99Seconds}s for 10 minutes. If the upstream response time is low, nginx itself is slow: check CPU throttling of the tier (the seed's worker incident).`,
                  },
                },
              ],
            },
            {
              eval_time: "20m",
              alertname: "IngressCpuThrottled",
              exp_alerts: [
                {
                  exp_labels: { severity: "warning", namespace: "ingress-shop", pod: "a" },
                  exp_annotations: {
                    summary: "ingress-shop/a: nginx throttled in 50% of CPU periods",
                    description:
                      "The nginx container hits its CPU limit: latency rises for every request it proxies. Check that worker-processes follows the limit and whether the HPA target or the CPU request needs tuning.",
                  },
                },
              ],
            },
          ],
        },
      ],
    };
    const file = path.join(dir, "ingress.test.yml");
    fs.writeFileSync(file, stringify(tests));
    const r = runTool("promtool", ["test", "rules", file]);
    expect({ status: r.status, output: r.status === 0 ? "" : r.output }).toEqual({ status: 0, output: "" });
  });
});
