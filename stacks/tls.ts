/**
 * Each business's TLS certificate: issued by the company's CA, kept as a
 * secret in stack config (`private-cloud:tls`, read apart from the model like
 * the SSH key), and checked here before anything is registered — a
 * certificate whose names miss one of the business's hosts, an expired (or
 * not yet valid) one, a chain in the wrong order, or a key that does not
 * belong to it would otherwise show only as browsers refusing the VIP.
 *
 * Node's crypto.X509Certificate does the parsing, host matching (RFC 6125
 * wildcards) and key check: no new dependency.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from "crypto";
import type { Business } from "./schema";
import { HTTPS_VIP_PORT } from "../components/common/ingress-ports";
import { cfgPath } from "./checks/collector";
import type { ConfigIssue } from "./validate";

/** `private-cloud:tls` as the stack config holds it: business name → PEM texts. */
export interface TlsConfigEntry {
  /** The server certificate first, then the intermediates (PEM). */
  readonly certificate: string;
  /** Its private key (PEM, PKCS#8 or PKCS#1/SEC1). Absent when read from a stack file, where it is encrypted. */
  readonly privateKey?: string;
}

/** A checked certificate of one business. */
export interface BusinessCertificate {
  readonly certificate: string;
  /** Undefined only for a model read from a stack file (the key is an encrypted secret there). */
  readonly privateKey?: string;
  readonly subject: string;
  /** The DNS names of the subjectAltName. */
  readonly dnsNames: readonly string[];
  readonly notAfter: Date;
}

/** Warn this long before a certificate expires, days. */
export const TLS_EXPIRY_WARNING_DAYS = 30;

/** Businesses whose VIP serves HTTPS, i.e. that need a certificate. */
export function servesHttps(biz: Pick<Business, "ports">): boolean {
  return biz.ports.some((p) => p.port === HTTPS_VIP_PORT && p.protocol === "TCP");
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Every certificate of a PEM bundle, in order. Throws on text that parses as none. */
export function parseChain(pem: string): X509Certificate[] {
  const blocks = pem.match(PEM_CERT) ?? [];
  if (blocks.length === 0) throw new Error("no PEM CERTIFICATE block");
  return blocks.map((b) => new X509Certificate(b));
}

const dnsNamesOf = (cert: X509Certificate): string[] =>
  (cert.subjectAltName ?? "")
    .split(/,\s*/)
    .filter((n) => n.startsWith("DNS:"))
    .map((n) => n.slice(4));

const describe = (cert: X509Certificate) =>
  `${cert.subject.replace(/\n/g, ", ")} (serial ${cert.serialNumber}, names ${JSON.stringify(dnsNamesOf(cert))})`;

export interface TlsCheckResult {
  readonly issues: ConfigIssue[];
  readonly warnings: ConfigIssue[];
  readonly certificates: Record<string, BusinessCertificate>;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Checks `private-cloud:tls` against the businesses: every entry names a
 * business that serves 443, its certificate covers every host of that
 * business, is valid at `now`, its chain is in order, and its key matches.
 * `keysReadable` is false when the config was read from a stack file, where
 * the private keys are encrypted (`npm run validate`): the key check then
 * waits for the Pulumi program.
 */
export function checkTls(
  raw: unknown,
  businesses: readonly Business[],
  now: Date,
  keysReadable = true,
): TlsCheckResult {
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const certificates: Record<string, BusinessCertificate> = {};
  if (raw === undefined) return { issues, warnings, certificates };
  if (!isObject(raw)) {
    issues.push({
      path: cfgPath("tls"),
      message: `is ${typeof raw} (expected a map of business name → {certificate, privateKey}, set with \`pulumi config set --secret --path 'private-cloud:tls.<business>.privateKey' < key.pem\`)`,
    });
    return { issues, warnings, certificates };
  }
  const byName = new Map(businesses.map((b, i) => [b.name, { b, i }]));
  for (const [name, entry] of Object.entries(raw)) {
    const at = (...segs: string[]) => cfgPath("tls", name, ...segs);
    const found = byName.get(name);
    if (!found) {
      issues.push({
        path: at(),
        message: `names no business (expected one of ${JSON.stringify([...byName.keys()])})`,
      });
      continue;
    }
    if (!servesHttps(found.b)) {
      issues.push({
        path: at(),
        message: `business ${name} does not serve port ${HTTPS_VIP_PORT} (expected a certificate only for a business whose ports include ${HTTPS_VIP_PORT}, or add it to private-cloud:businesses[${found.i}].ports)`,
      });
      continue;
    }
    if (!isObject(entry) || typeof entry.certificate !== "string") {
      issues.push({
        path: at("certificate"),
        message: `is missing (expected the PEM certificate issued by the company CA, server certificate first)`,
      });
      continue;
    }
    let chain: X509Certificate[];
    try {
      chain = parseChain(entry.certificate);
    } catch (e) {
      issues.push({
        path: at("certificate"),
        message: `is not a PEM certificate: ${(e as Error).message} (expected -----BEGIN CERTIFICATE----- blocks, the server certificate first)`,
      });
      continue;
    }
    const leaf = chain[0];
    const before = issues.length;
    const notBefore = new Date(leaf.validFrom);
    const notAfter = new Date(leaf.validTo);
    if (notAfter.getTime() <= now.getTime())
      issues.push({
        path: at("certificate"),
        message: `${describe(leaf)} expired on ${notAfter.toISOString()} (expected a certificate valid now: have the company CA renew it)`,
      });
    else if (notBefore.getTime() > now.getTime())
      issues.push({
        path: at("certificate"),
        message: `${describe(leaf)} is not valid before ${notBefore.toISOString()} (expected a certificate valid now)`,
      });
    else if (notAfter.getTime() - now.getTime() < TLS_EXPIRY_WARNING_DAYS * 86_400_000)
      warnings.push({
        path: at("certificate"),
        message: `${describe(leaf)} expires on ${notAfter.toISOString()}, within ${TLS_EXPIRY_WARNING_DAYS} days (have the company CA renew it)`,
      });
    found.b.hosts.forEach((host, h) => {
      // subject "never": browsers ignore the CN; only subjectAltName counts.
      if (leaf.checkHost(host, { subject: "never" }) === undefined)
        issues.push({
          path: at("certificate"),
          message: `${describe(leaf)} does not cover host ${JSON.stringify(host)} of ${cfgPath("businesses", found.i, "hosts", h)} (expected a subjectAltName DNS name or wildcard for every host of business ${name})`,
        });
    });
    for (let c = 0; c + 1 < chain.length; c++)
      if (!chain[c].checkIssued(chain[c + 1]) || !chain[c].verify(chain[c + 1].publicKey))
        issues.push({
          path: at("certificate"),
          message: `certificate ${c + 2} of the bundle (${chain[c + 1].subject.replace(/\n/g, ", ")}) did not issue certificate ${c + 1} (${chain[c].subject.replace(/\n/g, ", ")}) (expected the server certificate first, then each issuer in order)`,
        });
    const key = entry.privateKey;
    if (keysReadable) {
      let keyObject: KeyObject | undefined;
      if (typeof key !== "string")
        issues.push({
          path: at("privateKey"),
          message: `is missing (expected the PEM private key of the certificate, as a secret: \`pulumi config set --secret --path 'private-cloud:tls.${name}.privateKey' < key.pem\`)`,
        });
      else {
        try {
          keyObject = createPrivateKey(key);
        } catch (e) {
          issues.push({
            path: at("privateKey"),
            message: `is not a readable PEM private key: ${(e as Error).message} (expected an unencrypted PEM private key)`,
          });
        }
      }
      if (keyObject && !leaf.checkPrivateKey(keyObject))
        issues.push({
          path: at("privateKey"),
          message: `does not match the public key of ${describe(leaf)} (expected the key the certificate was issued for)`,
        });
    }
    if (issues.length === before)
      certificates[name] = {
        certificate: entry.certificate.endsWith("\n") ? entry.certificate : `${entry.certificate}\n`,
        privateKey: typeof key === "string" ? key : undefined,
        subject: leaf.subject.replace(/\n/g, ", "),
        dnsNames: dnsNamesOf(leaf),
        notAfter,
      };
  }
  return { issues, warnings, certificates };
}
