/**
 * A throwaway directory with fake commands on PATH, for running generated host
 * scripts for real without touching this machine.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { spawnSync } from "child_process";

export class Sandbox {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-sandbox-"));
  readonly bin = path.join(this.dir, "bin");
  constructor() {
    fs.mkdirSync(this.bin);
  }

  /** Writes a file under the sandbox (parents created). */
  write(rel: string, content: string, mode = 0o644): string {
    const file = path.join(this.dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content, { mode });
    return file;
  }

  read(rel: string): string {
    return fs.readFileSync(path.join(this.dir, rel), "utf8");
  }

  /** A fake command: a bash body that sees its arguments as "$@". Calls are logged to calls.log. */
  fake(name: string, body: string): void {
    this.write(
      `bin/${name}`,
      `#!/usr/bin/env bash\necho "${name} $*" >> "${this.dir}/calls.log"\n${body}\n`,
      0o755,
    );
  }

  calls(): string[] {
    const file = path.join(this.dir, "calls.log");
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : [];
  }

  /** Runs a script with bash, the fakes first on PATH. */
  run(script: string, env: Record<string, string> = {}, args: string[] = [], input?: string) {
    const file = this.write(`script-${Math.random().toString(36).slice(2)}.sh`, script, 0o755);
    const r = spawnSync("bash", [file, ...args], {
      env: { PATH: `${this.bin}:/usr/bin:/bin:/usr/sbin:/sbin`, HOME: this.dir, ...env },
      input,
      encoding: "utf8",
    });
    return { status: r.status ?? 1, stdout: r.stdout, stderr: r.stderr };
  }

  cleanup(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
