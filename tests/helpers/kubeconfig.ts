/**
 * A kubeconfig with a real (throwaway) CA certificate, made with openssl, for
 * code that parses what the masters return (server rewrite, CA pinning).
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

let cached: { kubeconfig: string; caPem: string } | undefined;
const pkiOutputs = new Map<string, string>();

export function testCa(): { kubeconfig: string; caPem: string } {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-ca-"));
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        `${dir}/ca.key`,
        "-out",
        `${dir}/ca.crt`,
        "-days",
        "1",
        "-subj",
        "/CN=test-ca",
      ],
      { stdio: "ignore" },
    );
    const caPem = fs.readFileSync(`${dir}/ca.crt`, "utf8");
    const kubeconfig = [
      "apiVersion: v1",
      "kind: Config",
      "clusters:",
      "- name: test",
      "  cluster:",
      "    server: https://127.0.0.1:6443",
      `    certificate-authority-data: ${Buffer.from(caPem).toString("base64")}`,
      "contexts:",
      "- name: test",
      "  context: { cluster: test, user: admin }",
      "current-context: test",
      "users:",
      "- name: admin",
      "  user: { token: test }",
      "",
    ].join("\n");
    cached = { kubeconfig, caPem };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Mock outputs of the cluster build: the admin kubeconfig, a PKI bundle, an encryption key, random strings. */
export function commandOutputs(r: {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}): Record<string, unknown> | undefined {
  if (r.type === "random:index/randomBytes:RandomBytes") return { base64: "VEVTVC1FTkNSWVBUSU9OLUtFWQ==" };
  if (r.type === "random:index/randomString:RandomString")
    return { result: "x".repeat(Number(r.inputs.length)) };
  if (r.type !== "command:remote:Command" && r.type !== "command:local:Command") return undefined;
  if (r.name.endsWith("admin-kubeconfig")) return { stdout: testCa().kubeconfig, stderr: "" };
  if (r.name.endsWith("pki-bundle")) return { stdout: "UEtJ", stderr: "" };
  // Local commands that only print what openssl makes are cheap and safe: run them for real.
  if (r.name.endsWith("transport-pki")) {
    const script = String(r.inputs.create);
    pkiOutputs.set(
      script,
      pkiOutputs.get(script) ?? execFileSync("bash", ["-c", script], { encoding: "utf8" }),
    );
    return { stdout: pkiOutputs.get(script), stderr: "" };
  }
  return undefined;
}
