/**
 * `npm run sim:tls [-- --days N] [stack...]`: issues the simulated
 * datacenters' business certificates from a throwaway test CA and writes them
 * into their stack files the way a platform team stores the company CA's
 * (README "Security"): the certificate in clear, the key as a Pulumi secret
 * (`pulumi config set --secret --path`, passphrase provider). The sim stacks'
 * passphrase is the published local one, so these keys protect nothing: they
 * exist only so the sim's `pulumi up` serves HTTPS like a real datacenter.
 * Run it again to renew (validation warns 30 days before expiry).
 *
 * The CA's key is thrown away; its certificate is written to
 * scripts/sim-tls-ca.crt for clients of the sim's VIPs.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { rawFromConfigMap, readStackFile } from "../stacks/config";
import { servesHttps } from "../stacks/tls";
import type { Business } from "../stacks/schema";
import { issueServerCertificate, makeTestCa } from "./lib/test-pki";

const repo = path.join(__dirname, "..");
const args = process.argv.slice(2);
const daysAt = args.indexOf("--days");
const days = daysAt >= 0 ? Number(args[daysAt + 1]) : 3650;
if (!Number.isInteger(days) || days < 1) {
  console.error(
    `sim-tls: --days ${args[daysAt + 1]} is not a whole number of days (expected e.g. --days 3650)`,
  );
  process.exit(2);
}
const stacks = args.filter((a, i) => !a.startsWith("--") && (daysAt < 0 || i !== daysAt + 1));
const targets = stacks.length > 0 ? stacks : ["sim", "sim-b", "sim-1k"];

const ca = makeTestCa("private-cloud simulated datacenters test CA (not for real use)", days + 1);
const work = fs.mkdtempSync(path.join(os.tmpdir(), "pc-sim-tls-"));
try {
  const env = {
    ...process.env,
    PULUMI_HOME: path.join(work, "home"),
    PULUMI_BACKEND_URL: `file://${path.join(work, "state")}`,
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "private-cloud-local-only",
  };
  fs.mkdirSync(path.join(work, "state"));
  fs.copyFileSync(path.join(repo, "Pulumi.yaml"), path.join(work, "Pulumi.yaml"));
  // Values go in on stdin (what `pulumi config set` reads when none is given): never a key in argv.
  const pulumi = (a: string[], input?: string) =>
    execFileSync("pulumi", ["--non-interactive", ...a], {
      cwd: work,
      env,
      input,
      stdio: ["pipe", "ignore", "pipe"],
    });
  for (const stack of targets) {
    const file = `Pulumi.${stack}.yaml`;
    const raw = rawFromConfigMap(readStackFile(path.join(repo, file)));
    const businesses = ((raw.businesses as Business[] | undefined) ?? []).filter((b) =>
      servesHttps({ ports: (b.ports ?? []).map((p) => ({ port: p.port, protocol: p.protocol ?? "TCP" })) }),
    );
    fs.copyFileSync(path.join(repo, file), path.join(work, file));
    pulumi(["stack", "init", stack]);
    // A renewal replaces every business's entry (one gone from the stack goes too).
    if (readStackFile(path.join(work, file))["private-cloud:tls"] !== undefined)
      pulumi(["config", "rm", "--stack", stack, "private-cloud:tls"]);
    for (const b of businesses) {
      const cert = issueServerCertificate(ca, b.hosts, days);
      pulumi(
        ["config", "set", "--stack", stack, "--path", `private-cloud:tls.${b.name}.certificate`],
        cert.certificate,
      );
      pulumi(
        ["config", "set", "--stack", stack, "--secret", "--path", `private-cloud:tls.${b.name}.privateKey`],
        cert.privateKey,
      );
    }
    fs.copyFileSync(path.join(work, file), path.join(repo, file));
    console.log(
      `${file}: ${businesses.map((b) => `${b.name} (${b.hosts.join(", ")})`).join("; ") || "no business serves 443"}`,
    );
  }
  fs.writeFileSync(path.join(repo, "scripts", "sim-tls-ca.crt"), ca.certificate);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
