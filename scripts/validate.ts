/**
 * Validates stack files without Pulumi: `npm run validate [-- Pulumi.dc-a.yaml …]`.
 * With no argument, every Pulumi.<stack>.yaml in the project is checked.
 * Exits 1 and lists every problem by config path when one is invalid.
 */
import * as fs from "fs";
import * as path from "path";
import { loadStackFile } from "../stacks/config";
import { ConfigError } from "../stacks/validate";

const root = path.join(__dirname, "..");
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs
      .readdirSync(root)
      .filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f))
      .map((f) => path.join(root, f));

let failed = 0;
for (const file of files) {
  try {
    const m = loadStackFile(file);
    console.log(
      `ok   ${path.basename(file)}: ${m.name}, ${m.masters.length} masters, ${m.minions.length} minions in ${m.racks.length} racks / ${m.rooms.length} rooms, API ${m.api.mode} ${m.api.host}:${m.api.port}`,
    );
    for (const w of m.warnings) console.log(`warn ${path.basename(file)}: ${w.path}: ${w.message}`);
  } catch (e) {
    failed++;
    console.error(`FAIL ${path.basename(file)}: ${e instanceof ConfigError ? e.message : String(e)}`);
  }
}
process.exit(failed ? 1 : 0);
