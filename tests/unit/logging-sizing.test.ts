/**
 * Elasticsearch sizing: thread pools (node.processors) follow the CPU limit,
 * heap is half the memory limit under the compressed-oops ceiling. The same
 * function the policy pack checks with; the stacks' settings use it.
 */
import { elasticsearchSizing } from "../../components/common/sizing";
import { esContainer, esResources, esSettings, ES_ROLES } from "../../components/logging-stack/elasticsearch";
import { fixture, modelOf } from "../helpers/config";

describe("elasticsearchSizing", () => {
  it.each([
    // CPU limit (m), memory limit (MiB) → processors, heap (MiB)
    [500, 1024, 1, 512],
    [1000, 2048, 1, 1024],
    [1500, 4096, 2, 2048],
    [2000, 4096, 2, 2048],
    [4000, 8192, 4, 4096],
    [6500, 16384, 7, 8192],
    [8000, 32768, 8, 16384],
    [16000, 65536, 16, 31743],
    [24000, 131072, 24, 31743],
  ])("%im CPU, %i MiB → node.processors %i, heap %i MiB", (cpu, mem, processors, heap) => {
    expect(elasticsearchSizing(cpu, mem)).toEqual({ processors, heapMiB: heap });
  });

  it("never lets the heap cross 31 GiB (compressed object pointers)", () => {
    expect(elasticsearchSizing(8000, 262144).heapMiB).toBeLessThan(31 * 1024);
  });
});

describe("each role's elasticsearch.yml and JVM options follow its limits", () => {
  const cases = ["dc-a", "dc-b", "dc-c"].flatMap((dc) => {
    const model = modelOf(fixture(dc));
    return ES_ROLES.map((r) => [dc, r, model] as const);
  });

  it.each(cases)("%s %s", (_dc, role, model) => {
    const res = esResources(model, role);
    expect(esSettings(model, role)["node.processors"]).toBe(Math.ceil(res.cpuLimitMillis / 1000));
    const opts = (esContainer(model, role).env as { name: string; value?: string }[]).find(
      (e) => e.name === "ES_JAVA_OPTS",
    );
    expect(opts?.value).toBe(`-Xms${res.heapMiB}m -Xmx${res.heapMiB}m`);
    expect(res.heapMiB * 2).toBeLessThanOrEqual(res.memoryLimitMiB);
  });

  it("reads the per-role limits from config", () => {
    const f = fixture("dc-c");
    (f.raw.logging as Record<string, unknown>).data = { cpuLimitMillis: 12000, memoryLimitMiB: 49152 };
    const model = modelOf(f);
    expect(esResources(model, "data")).toEqual({
      cpuLimitMillis: 12000,
      memoryLimitMiB: 49152,
      processors: 12,
      heapMiB: 24576,
    });
    // Defaults for the roles left out.
    expect(esResources(model, "master")).toEqual(
      expect.objectContaining({ cpuLimitMillis: 2000, memoryLimitMiB: 4096 }),
    );
  });
});
