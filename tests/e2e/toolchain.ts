/**
 * The real toolchain for end-to-end tests: the environment `scripts/env.sh`
 * sets up, and runners for the pulumi CLI and kubectl against it.
 */
import { spawnSync } from "child_process";
import * as path from "path";

export const projectDir = path.join(__dirname, "..", "..");

/** The environment after `source scripts/env.sh`, plus overrides. */
export function toolchainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const r = spawnSync("bash", ["-c", `source scripts/env.sh && env -0`], {
    cwd: projectDir,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`scripts/env.sh failed: ${r.stderr}`);
  const env: NodeJS.ProcessEnv = {};
  for (const kv of r.stdout.split("\0")) {
    const i = kv.indexOf("=");
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return { ...env, ...extra };
}

export const REQUIRED_TOOLS = [
  "pulumi",
  "pulumi-language-nodejs",
  "pulumi-resource-kubernetes",
  "pulumi-resource-random",
  "pulumi-resource-command",
  "pulumi-analyzer-policy",
  "etcd",
  "kube-apiserver",
  "kube-controller-manager",
  "kube-scheduler",
  "kwok",
  "kubectl",
];

export function missingTools(env: NodeJS.ProcessEnv): string[] {
  return REQUIRED_TOOLS.filter((t) => spawnSync("bash", ["-c", `command -v ${t}`], { env }).status !== 0);
}

export interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly seconds: number;
}

export function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  input?: string,
  cwd = projectDir,
): Run {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: "utf8", input, maxBuffer: 256 * 2 ** 20 });
  return {
    status: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    seconds: (Date.now() - t0) / 1000,
  };
}

/** Formats a failed run for an assertion message. */
export function explain(r: Run): string {
  return `exit ${r.status}\n--- stdout\n${r.stdout.slice(-6000)}\n--- stderr\n${r.stderr.slice(-4000)}`;
}

/** kubectl with a simulated datacenter's admin kubeconfig, and the same with `-o json` parsed (failing loudly). */
export function simKubectl(simDir: string, env: NodeJS.ProcessEnv) {
  const kubectl = (args: string[]): Run =>
    run("kubectl", ["--kubeconfig", path.join(simDir, "kubeconfig"), ...args], env);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- kubectl JSON
  const kubeJson = (args: string[]): any => {
    const r = kubectl([...args, "-o", "json"]);
    if (r.status !== 0) throw new Error(explain(r));
    return JSON.parse(r.stdout);
  };
  return { kubectl, kubeJson };
}
