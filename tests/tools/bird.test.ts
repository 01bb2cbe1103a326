/**
 * Every director's BGP speaker config, for every datacenter and both
 * data-plane dialects, parsed by the real BIRD 2 (`bird -p`: parse and exit).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { birdConfig } from "../../components/fullnat-lvs/directors";
import { fixture, modelOf } from "../helpers/config";
import { describeWithTool, runTool } from "../helpers/tools";

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- mutations reach into the raw YAML object
type Raw = any;

const cases: [string, string, string][] = [];
for (const stack of ["dc-a", "dc-b", "dc-c"])
  for (const impl of ["dpvs", "alibaba"]) {
    const f = fixture(stack);
    for (const d of (f.raw as Raw).lvs.directors as string[]) cases.push([stack, impl, d]);
  }

describeWithTool("bird", "director BIRD configs", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bird-"));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it.each(cases)("%s (%s) %s parses", (stack, impl, director) => {
    const f = fixture(stack);
    (f.raw as Raw).lvs.implementation = impl;
    const file = path.join(dir, `${director}-${impl}.conf`);
    fs.writeFileSync(file, birdConfig(modelOf(f), director));
    const r = runTool("bird", ["-p", "-c", file]);
    expect(r.output).toBe("");
    expect(r.status).toBe(0);
  });

  it("rejects a broken config (the check can fail)", () => {
    const file = path.join(dir, "broken.conf");
    const model = modelOf(fixture("dc-c"));
    fs.writeFileSync(file, birdConfig(model, "dcc-c1r01-03").replace("hold time 9;", "hold time nine;"));
    const r = runTool("bird", ["-p", "-c", file]);
    expect(r.status).not.toBe(0);
  });
});
