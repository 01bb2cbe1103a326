import {
  cpuMillis,
  durationSeconds,
  flagValue,
  flatYamlSettings,
  jvmActiveProcessorCount,
  jvmContainerSupportDisabled,
  nginxMainDirective,
  parseImage,
  parseWorkers,
  preStopWaitSeconds,
} from "../../policy/parsers";

describe("cpuMillis (shared with the components)", () => {
  it.each([
    ["500m", 500],
    ["1.5", 1500],
    ["2", 2000],
    [2, 2000],
    [0.25, 250],
    [" 6 ", 6000],
    ["2500m", 2500],
    [".5", 500],
    ["2Gi", undefined],
    ["", undefined],
    ["-1", undefined],
  ] as const)("%j → %j", (q, want) => expect(cpuMillis(q)).toBe(want));
});

describe("parseWorkers", () => {
  it.each([
    ["auto", { kind: "auto" }],
    ["4", { kind: "count", count: 4 }],
    [" 4 ", { kind: "count", count: 4 }],
    [24, { kind: "count", count: 24 }],
    ["0", { kind: "invalid", text: "0" }],
    ["four", { kind: "invalid", text: "four" }],
    [1.5, { kind: "invalid", text: "1.5" }],
  ] as const)("%j → %j", (v, want) => expect(parseWorkers(v)).toEqual(want));
  it("is undefined when nothing is set", () => expect(parseWorkers(undefined)).toBeUndefined());
});

describe("nginxMainDirective", () => {
  it.each([
    ["worker_processes 4;", "worker_processes", "4"],
    ["user nginx;\nworker_processes  auto ;\nevents {}", "worker_processes", "auto"],
    ["# worker_processes 24;\nworker_processes 6;", "worker_processes", "6"],
    ["events { worker_connections 1024; }\nworker_processes 2;", "worker_processes", "2"],
    ["http { server { worker_processes 9; } }", "worker_processes", undefined],
    ["worker_shutdown_timeout 30s;", "worker_shutdown_timeout", "30s"],
    ["worker_processes 4", "worker_processes", undefined],
  ])("%j %s → %j", (conf, directive, want) => expect(nginxMainDirective(conf, directive)).toBe(want));
});

describe("durationSeconds", () => {
  it.each([
    ["30s", 30],
    ["240s", 240],
    ["5m", 300],
    ["1h 30m", 5400],
    ["1m30s", 90],
    ["500ms", 0.5],
    ["10", 10],
    [15, 15],
    ["soon", undefined],
    ["", undefined],
  ] as const)("%j → %j", (t, want) => expect(durationSeconds(t)).toBe(want));
});

describe("flatYamlSettings (elasticsearch.yml)", () => {
  it.each([
    ["node.processors: 4", "node.processors", "4"],
    ["node:\n  processors: 4\n  name: x", "node.processors", "4"],
    ["node:\n  name: x\nthread_pool:\n  write:\n    size: 9", "thread_pool.write.size", "9"],
    ['node.processors: "6" # pinned', "node.processors", "6"],
    ["# node.processors: 24\ncluster.name: logs", "node.processors", undefined],
  ])("%j %s → %j", (text, key, want) => expect(flatYamlSettings(text).get(key)).toBe(want));
});

describe("JVM options", () => {
  it.each([
    ["-Xmx1g -XX:ActiveProcessorCount=4", 4],
    ["-XX:ActiveProcessorCount=2 -XX:ActiveProcessorCount=8", 8],
    ["-Xmx1g", undefined],
  ])("ActiveProcessorCount of %j → %j", (opts, want) => expect(jvmActiveProcessorCount(opts)).toBe(want));
  it.each([
    ["-XX:-UseContainerSupport", true],
    ["-XX:-UseContainerSupport -XX:+UseContainerSupport", false],
    ["-Xmx1g", false],
  ])("container support off in %j → %j", (opts, want) =>
    expect(jvmContainerSupportDisabled(opts)).toBe(want),
  );
});

describe("flagValue", () => {
  it.each([
    [["--profiling=false"], "--profiling", "false"],
    [["--configmap", "ns/cm"], "--configmap", "ns/cm"],
    [["--leader-elect"], "--leader-elect", "true"],
    [["--profiling=true", "--profiling=false"], "--profiling", "false"],
    [["--profiling-x=1"], "--profiling", undefined],
  ])("%j %s → %j", (args, flag, want) => expect(flagValue(args, flag)).toBe(want));
});

describe("preStopWaitSeconds", () => {
  it.each([
    [{ sleep: { seconds: 15 } }, 15],
    [{ exec: { command: ["sleep", "11"] } }, 11],
    [{ exec: { command: ["/bin/sh", "-c", "sleep 11; /wait-shutdown"] } }, 11],
    [{ exec: { command: ["/bin/sh", "-c", "sleep 5 && nginx -s quit && sleep 10"] } }, 15],
    [{ exec: { command: ["/wait-shutdown"] } }, 0],
    [undefined, undefined],
  ])("%j → %j", (hook, want) => expect(preStopWaitSeconds(hook)).toBe(want));
});

describe("parseImage", () => {
  it.each([
    [
      "registry.dc-a.cloud.internal/ingress-nginx/controller:v1.13.3",
      { registry: "registry.dc-a.cloud.internal", repository: "ingress-nginx/controller", tag: "v1.13.3" },
    ],
    [
      "registry.dc-b.cloud.internal:5000/k8s/etcd:3.6.5-0",
      { registry: "registry.dc-b.cloud.internal:5000", repository: "k8s/etcd", tag: "3.6.5-0" },
    ],
    ["nginx", { repository: "nginx" }],
    ["library/nginx:latest", { repository: "library/nginx", tag: "latest" }],
    ["localhost/x@sha256:abc", { registry: "localhost", repository: "x", digest: "sha256:abc" }],
  ])("%s", (ref, want) =>
    expect(parseImage(ref)).toEqual({ registry: undefined, tag: undefined, digest: undefined, ...want }),
  );
});
