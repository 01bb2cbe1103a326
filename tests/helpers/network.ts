/**
 * The network fixture both the matrix tests and the cyclonus check read:
 * dc-a's platform (three businesses) plus one release of two of them
 * (shop and account, jetty-web) and a worker, from a throw-away catalog.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveRelease } from "../../release/catalog/load";
import type { AppSpec } from "../../release/catalog/schema";
import { contextFromStackFile } from "../../release/render";
import { businessAppNetwork } from "../../components/business-app/network";
import { datacenterNetwork } from "../../stacks/datacenter";
import { loadStackFile } from "../../stacks/config";
import type { Endpoint, NetworkContribution } from "../../components/common/network-policy";
import type { DatacenterModel } from "../../stacks/model";
import { minimalEntry, tempCatalog } from "./catalog";
import { projectDir } from "./config";

export const FIXTURE_DC = "dc-a";

/** A pod with no label any policy names, in shop's namespace (say, a debug pod someone started). */
export const STRAY_POD: Endpoint = {
  name: "shop/stray",
  namespace: "shop",
  labels: { run: "debug" },
  ports: [],
};
/** A host on the internet: a client that does not come through the LVS tier, and a service business pods may call. */
export const OUTSIDE: Endpoint = { name: "internet/host", ip: "203.0.113.10", ports: [{ port: 443 }] };

export function networkFixture(): { model: DatacenterModel; network: NetworkContribution } {
  const model = loadStackFile(path.join(projectDir, `Pulumi.${FIXTURE_DC}.yaml`));
  const ctx = contextFromStackFile(FIXTURE_DC);
  const dir = tempCatalog({
    shop: minimalEntry("shop", { datacenters: [{ name: FIXTURE_DC }] }),
    account: minimalEntry("account", { image: "account/web", datacenters: [{ name: FIXTURE_DC }] }),
    push: minimalEntry("push", {
      template: "jetty-worker",
      image: "push/worker",
      datacenters: [{ name: FIXTURE_DC }],
    }),
  });
  try {
    const releases = ["shop", "account", "push"].map((b) => {
      const r = resolveRelease(b, { appsDir: dir });
      return businessAppNetwork(r.specs.get(FIXTURE_DC) as AppSpec, r.template, ctx);
    });
    const extra: NetworkContribution = { policies: [], endpoints: [STRAY_POD, OUTSIDE] };
    return { model, network: datacenterNetwork(model, ...releases, extra) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
