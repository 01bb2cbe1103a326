/**
 * Business certificates (`private-cloud:tls`): what the company CA issued is
 * checked with the model, before anything is registered. Certificates are
 * made here with openssl (scripts/lib/test-pki.ts); nothing is committed.
 */
import { X509Certificate } from "crypto";
import { buildModel } from "../../stacks/model";
import { ConfigError } from "../../stacks/validate";
import { fixture } from "../helpers/config";
import { issueServerCertificate, makeTestCa } from "../../scripts/lib/test-pki";

const ca = makeTestCa("tls-test-ca");
const otherCa = makeTestCa("tls-other-ca");
const good = issueServerCertificate(ca, ["apps.example.com"]);
const wildcard = issueServerCertificate(ca, ["*.example.com"]);
const wrongName = issueServerCertificate(ca, ["shop.example.com"]);
const other = issueServerCertificate(otherCa, ["apps.example.com"]);

const DAY = 86_400_000;
const notAfter = (pem: string) => new Date(new X509Certificate(pem).validTo);

function check(
  tls: unknown,
  now = new Date(),
  keysReadable = true,
): { problems: string[]; warnings: string[] } {
  const f = fixture("dc-c");
  try {
    const model = buildModel(f.raw, f.inventory, f.inventoryPath, [], { tls, now, keysReadable });
    return { problems: [], warnings: model.warnings.map((w) => `${w.path}: ${w.message}`) };
  } catch (e) {
    if (e instanceof ConfigError)
      return { problems: e.issues.map((i) => `${i.path}: ${i.message}`), warnings: [] };
    throw e;
  }
}

describe("private-cloud:tls", () => {
  it("accepts a certificate covering the business's hosts with its key, and puts it on the model", () => {
    const f = fixture("dc-c");
    const model = buildModel(f.raw, f.inventory, f.inventoryPath, [], { tls: { appstore: good } });
    expect(model.tls.appstore.dnsNames).toEqual(["apps.example.com"]);
    expect(model.tls.appstore.privateKey).toBe(good.privateKey);
    expect(check({ appstore: wildcard }).problems).toEqual([]);
  });

  it("accepts a server certificate followed by its issuer", () => {
    expect(check({ appstore: { ...good, certificate: good.certificate + ca.certificate } }).problems).toEqual(
      [],
    );
  });

  it("refuses a certificate that does not name a host of the business", () => {
    const { problems } = check({ appstore: wrongName });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(
      /^private-cloud:tls\.appstore\.certificate: CN=shop\.example\.com \(serial [0-9A-F]+, names \["shop\.example\.com"\]\) does not cover host "apps\.example\.com" of private-cloud:businesses\[0\]\.hosts\[0\] \(expected a subjectAltName DNS name or wildcard for every host of business appstore\)$/,
    );
  });

  it("refuses an expired certificate, and one not valid yet", () => {
    const after = new Date(notAfter(good.certificate).getTime() + DAY);
    const expired = check({ appstore: good }, after).problems;
    expect(expired).toHaveLength(1);
    expect(expired[0]).toMatch(
      /^private-cloud:tls\.appstore\.certificate: CN=apps\.example\.com .* expired on \d{4}-\d\d-\d\dT[\d:.]+Z \(expected a certificate valid now: have the company CA renew it\)$/,
    );
    const early = check({ appstore: good }, new Date(Date.now() - 2 * DAY)).problems;
    expect(early).toEqual([
      expect.stringMatching(/is not valid before .* \(expected a certificate valid now\)$/),
    ]);
  });

  it("warns within 30 days of expiry", () => {
    const soon = new Date(notAfter(good.certificate).getTime() - 10 * DAY);
    const { problems, warnings } = check({ appstore: good }, soon);
    expect(problems).toEqual([]);
    expect(warnings).toEqual([
      expect.stringMatching(/^private-cloud:tls\.appstore\.certificate: .* expires on .*, within 30 days/),
    ]);
  });

  it("refuses a key that does not belong to the certificate", () => {
    expect(
      check({ appstore: { certificate: good.certificate, privateKey: other.privateKey } }).problems,
    ).toEqual([
      expect.stringMatching(
        /^private-cloud:tls\.appstore\.privateKey: does not match the public key of CN=apps\.example\.com .* \(expected the key the certificate was issued for\)$/,
      ),
    ]);
  });

  it("refuses a bundle whose second certificate did not issue the first", () => {
    const { problems } = check({
      appstore: { ...good, certificate: good.certificate + otherCa.certificate },
    });
    expect(problems).toEqual([
      expect.stringMatching(
        /^private-cloud:tls\.appstore\.certificate: certificate 2 of the bundle \(O=private-cloud test, CN=tls-other-ca\) did not issue certificate 1 \(CN=apps\.example\.com\) \(expected the server certificate first, then each issuer in order\)$/,
      ),
    ]);
  });

  it("refuses text that is no certificate or no key, an unknown business, and a missing key", () => {
    expect(
      check({
        appstore: { certificate: "not a pem", privateKey: "nor this" },
        shop: good,
      }).problems,
    ).toEqual([
      "private-cloud:tls.appstore.certificate: is not a PEM certificate: no PEM CERTIFICATE block (expected -----BEGIN CERTIFICATE----- blocks, the server certificate first)",
      'private-cloud:tls.shop: names no business (expected one of ["appstore"])',
    ]);
    expect(check({ appstore: { certificate: good.certificate } }).problems).toEqual([
      "private-cloud:tls.appstore.privateKey: is missing (expected the PEM private key of the certificate, as a secret: `pulumi config set --secret --path 'private-cloud:tls.appstore.privateKey' < key.pem`)",
    ]);
    expect(check({ appstore: { ...good, privateKey: "garbage" } }).problems).toEqual([
      expect.stringMatching(
        /^private-cloud:tls\.appstore\.privateKey: is not a readable PEM private key: .* \(expected an unencrypted PEM private key\)$/,
      ),
    ]);
  });

  it("read from a stack file (keys encrypted), still checks the certificate's names and validity", () => {
    expect(check({ appstore: { certificate: good.certificate } }, new Date(), false).problems).toEqual([]);
    expect(
      check({ appstore: { certificate: wrongName.certificate } }, new Date(), false).problems,
    ).toHaveLength(1);
  });
});
