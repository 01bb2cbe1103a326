/**
 * A throwaway CA and server certificates made with the openssl CLI, for the
 * tests and the simulated datacenter's stacks (scripts/sim-tls.ts). Never for
 * a real datacenter: there the company's CA issues the certificates (README
 * "Security").
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface TestCa {
  readonly certificate: string;
  readonly privateKey: string;
}

export interface IssuedCertificate {
  /** The server certificate (PEM). */
  readonly certificate: string;
  readonly privateKey: string;
}

function inTemp<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-pki-"));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const openssl = (args: string[]) => execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
const ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** A self-signed CA, valid `days`. */
export function makeTestCa(commonName: string, days = 30): TestCa {
  return inTemp((d) => {
    openssl([
      "req",
      "-x509",
      ...ecKey,
      "-keyout",
      `${d}/ca.key`,
      "-out",
      `${d}/ca.crt`,
      "-days",
      String(days),
      "-subj",
      `/O=private-cloud test/CN=${commonName}`,
      "-addext",
      "basicConstraints=critical,CA:TRUE",
      "-addext",
      "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    return {
      certificate: fs.readFileSync(`${d}/ca.crt`, "utf8"),
      privateKey: fs.readFileSync(`${d}/ca.key`, "utf8"),
    };
  });
}

/** A server certificate for `dnsNames` (the first is the CN), issued by `ca`, valid `days`. */
export function issueServerCertificate(
  ca: TestCa,
  dnsNames: readonly string[],
  days = 30,
): IssuedCertificate {
  if (dnsNames.length === 0) throw new Error("issueServerCertificate: at least one DNS name is needed");
  return inTemp((d) => {
    fs.writeFileSync(`${d}/ca.crt`, ca.certificate);
    fs.writeFileSync(`${d}/ca.key`, ca.privateKey, { mode: 0o600 });
    openssl([
      "req",
      ...ecKey,
      "-keyout",
      `${d}/tls.key`,
      "-out",
      `${d}/tls.csr`,
      "-subj",
      `/CN=${dnsNames[0]}`,
    ]);
    fs.writeFileSync(
      `${d}/ext`,
      [
        "basicConstraints=CA:FALSE",
        "keyUsage=critical,digitalSignature",
        "extendedKeyUsage=serverAuth",
        `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}`,
        "",
      ].join("\n"),
    );
    openssl([
      "x509",
      "-req",
      "-in",
      `${d}/tls.csr`,
      "-CA",
      `${d}/ca.crt`,
      "-CAkey",
      `${d}/ca.key`,
      "-CAcreateserial",
      "-days",
      String(days),
      "-extfile",
      `${d}/ext`,
      "-out",
      `${d}/tls.crt`,
    ]);
    return {
      certificate: fs.readFileSync(`${d}/tls.crt`, "utf8"),
      privateKey: fs.readFileSync(`${d}/tls.key`, "utf8"),
    };
  });
}
