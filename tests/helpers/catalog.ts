/**
 * A throw-away catalog directory for release tests: the repository's
 * templates plus the entries a test writes.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { DEFAULT_APPS_DIR } from "../../release/catalog/load";

export function tempCatalog(entries: Record<string, unknown>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-catalog-"));
  fs.cpSync(path.join(DEFAULT_APPS_DIR, "templates"), path.join(dir, "templates"), { recursive: true });
  for (const [name, entry] of Object.entries(entries))
    fs.writeFileSync(path.join(dir, `${name}.yaml`), typeof entry === "string" ? entry : stringify(entry));
  return dir;
}

/** The smallest valid entry. */
export function minimalEntry(
  business = "shop",
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    business,
    template: "jetty-web",
    image: "shop/web",
    version: "1.0.0",
    datacenters: [{ name: "sim" }],
    ...extra,
  };
}
