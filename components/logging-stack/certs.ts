/**
 * Transport TLS for Elasticsearch. With security on (it is: credentials are
 * the point), Elasticsearch refuses to start in production mode unless the
 * node-to-node transport layer uses TLS (a bootstrap check), so the cluster
 * needs a CA and a node certificate before its first pod starts.
 *
 * They are made once, at `pulumi up`, by `openssl` on the machine running
 * Pulumi (a `command.local.Command`; the output is a secret in the state). No
 * new provider: the command provider is already in the toolchain. One
 * certificate serves every node, and Elasticsearch checks it against the CA
 * only (`verification_mode: certificate`): pods have no stable addresses to
 * put in a certificate, and only holders of this CA's certificate can join.
 * The CA key is thrown away; rotating means replacing the command (new
 * `rotation` value), which rolls the cluster.
 */

export interface TransportPki {
  readonly caCert: string;
  readonly nodeCert: string;
  readonly nodeKey: string;
}

/** A POSIX sh script printing a new CA's certificate, a certificate it issued with `ext`, and that certificate's key (PEM). */
function caAndCertScript(caName: string, certName: string, ext: string, validDays: number): string {
  const subject = (cn: string) => `/O=private-cloud/CN=${cn}`;
  return [
    "set -eu",
    `d=$(mktemp -d)`,
    `trap 'rm -rf "$d"' EXIT`,
    `openssl req -x509 -newkey rsa:3072 -nodes -days ${validDays} -subj '${subject(caName)}' -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null`,
    `openssl req -newkey rsa:3072 -nodes -subj '${subject(certName)}' -keyout "$d/node.key" -out "$d/node.csr" 2>/dev/null`,
    `printf '${ext}' > "$d/ext"`,
    `openssl x509 -req -in "$d/node.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days ${validDays} -extfile "$d/ext" -out "$d/node.crt" 2>/dev/null`,
    `cat "$d/ca.crt" "$d/node.crt" "$d/node.key"`,
    "",
  ].join("\n");
}

/** A POSIX sh script printing the CA certificate, the node certificate and the node key (PEM, in that order). */
export function transportCertScript(clusterName: string, validDays = 3650): string {
  return caAndCertScript(
    `${clusterName} transport CA`,
    `${clusterName} transport`,
    "basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth,clientAuth\\n",
    validDays,
  );
}

/**
 * HTTP TLS for Elasticsearch: a CA of its own (clients trust only it, not
 * the transport CA that admits nodes) and one certificate for the client
 * Service and the nodes' names, plus localhost and 127.0.0.1 for the pods'
 * own readiness probes. Printed like the transport PKI.
 */
export function httpCertScript(clusterName: string, dnsNames: readonly string[], validDays = 3650): string {
  const san = [...dnsNames.map((n) => `DNS:${n}`), "DNS:localhost", "IP:127.0.0.1"].join(",");
  return caAndCertScript(
    `${clusterName} HTTP CA`,
    dnsNames[0] ?? `${clusterName} HTTP`,
    `basicConstraints=CA:FALSE\\nkeyUsage=digitalSignature,keyEncipherment\\nextendedKeyUsage=serverAuth\\nsubjectAltName=${san}\\n`,
    validDays,
  );
}

const PEM = /-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----\n?/g;

/** Splits the script's output; throws naming what is missing (a failed openssl run). */
export function parseTransportPki(stdout: string): TransportPki {
  const blocks = [...stdout.matchAll(PEM)].map((m) => ({
    kind: m[1],
    text: m[0].endsWith("\n") ? m[0] : `${m[0]}\n`,
  }));
  const certs = blocks.filter((b) => b.kind === "CERTIFICATE");
  const key = blocks.find((b) => /PRIVATE KEY$/.test(b.kind));
  if (certs.length !== 2 || !key)
    throw new Error(
      `transport PKI: expected 2 certificates and 1 private key from openssl, got ${certs.length} certificate(s) and ${key ? 1 : 0} key`,
    );
  return { caCert: certs[0].text, nodeCert: certs[1].text, nodeKey: key.text };
}
