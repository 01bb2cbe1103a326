import { headlessUpstreams } from "../../policy/upstreams";
import { messages, run, type Res } from "./harness";
import { find, nginxTier } from "./fixtures";

const policy = headlessUpstreams();

function mutated(change: (rs: Res[]) => void): Res[] {
  const rs = nginxTier();
  change(rs);
  return rs;
}
const WANT =
  "Service ingress-shop/jetty: business upstream with clusterIP (allocated) — set clusterIP: None (headless: no kube-proxy rules or DNAT conntrack entries per connection), or give the reason in the private-cloud.io/non-headless-reason annotation";

describe("headless-upstreams", () => {
  it("is advisory", async () => {
    const v = await run(
      policy,
      mutated((rs) => delete find(rs, "shop-jetty").spec.clusterIP),
    );
    expect(v.map((x) => x.level)).toEqual(["advisory"]);
  });

  it.each<[string, (rs: Res[]) => void, string[]]>([
    ["a ClusterIP upstream (marked)", (rs) => delete find(rs, "shop-jetty").spec.clusterIP, [WANT]],
    [
      "a ClusterIP upstream found only as an Ingress backend",
      (rs) => {
        const svc = find(rs, "shop-jetty");
        delete svc.spec.clusterIP;
        svc.metadata.labels = {};
      },
      [WANT],
    ],
    [
      "a ClusterIP upstream with a stated reason",
      (rs) => {
        const svc = find(rs, "shop-jetty");
        delete svc.spec.clusterIP;
        svc.metadata.annotations = {
          "private-cloud.io/non-headless-reason": "legacy client pins the ClusterIP",
        };
      },
      [],
    ],
    [
      "a Service that is no upstream",
      (rs) => {
        const svc = find(rs, "shop-jetty");
        delete svc.spec.clusterIP;
        svc.metadata.labels = {};
        svc.metadata.name = "other";
      },
      [],
    ],
  ])("%s", async (_, change, want) => {
    expect(await messages(policy, mutated(change))).toEqual(want);
  });
});
