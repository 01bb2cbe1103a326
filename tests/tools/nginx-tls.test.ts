/**
 * An HTTPS VIP serves the business's certificate. The tier's objects as the
 * IngressTier builds them — the TLS Secret, the Ingress's `tls`, the
 * controller's `--default-ssl-certificate` — are turned into the nginx
 * servers ingress-nginx renders from them, and the real nginx (Debian) serves
 * them: a TLS client that trusts only the test CA gets the business's
 * certificate for each of its hosts, and also without SNI or with a name no
 * Ingress lists (the default certificate, not the controller's fake one).
 */
import { spawn, type ChildProcess } from "child_process";
import { X509Certificate } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as tls from "tls";
import { buildModel } from "../../stacks/model";
import { nginxTuning, renderNginxConf, type NginxTls } from "../../components/ingress-tier/nginx";
import { controllerArgs, ingress, tierNames, tlsSecret } from "../../components/ingress-tier/manifests";
import { issueServerCertificate, makeTestCa } from "../../scripts/lib/test-pki";
import { fixture } from "../helpers/config";
import { describeWithTool } from "../helpers/tools";
import { freePort } from "../../scripts/lib/free-port";

interface Served {
  readonly fingerprint: string;
  readonly authorized: boolean;
  readonly authorizationError?: string;
}

function handshake(port: number, ca: string, servername?: string): Promise<Served> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: "127.0.0.1",
      port,
      ca,
      servername,
      rejectUnauthorized: false,
      timeout: 5000,
    });
    socket.once("secureConnect", () => {
      const cert = socket.getPeerX509Certificate();
      // The name check a browser makes: subjectAltName only.
      const nameOk =
        servername === undefined || cert?.checkHost(servername, { subject: "never" }) !== undefined;
      resolve({
        fingerprint: cert?.fingerprint256 ?? "",
        authorized: socket.authorized && nameOk,
        authorizationError: nameOk
          ? (socket.authorizationError as Error | undefined)?.message
          : `certificate does not name ${servername}`,
      });
      socket.end();
    });
    socket.once("error", reject);
    socket.once("timeout", () => reject(new Error(`no TLS handshake on port ${port} within 5 s`)));
  });
}

describeWithTool("nginx", "an HTTPS VIP serves the business's certificate", () => {
  const ca = makeTestCa("nginx-tls-test-ca");
  const f = fixture("dc-a");
  const shop = (f.raw.businesses as { name: string; hosts: string[] }[]).find((b) => b.name === "shop");
  if (!shop) throw new Error("dc-a has no business shop");
  const issued = issueServerCertificate(ca, shop.hosts);
  const model = buildModel(f.raw, f.inventory, f.inventoryPath, [], { tls: { shop: issued } });
  const biz = model.config.businesses.find((b) => b.name === "shop");
  if (!biz) throw new Error("no shop in the model");
  const n = tierNames("shop");
  const fingerprint = new X509Certificate(issued.certificate).fingerprint256;

  let dir = "";
  let port = 0;
  let proc: ChildProcess | undefined;
  let stderr = "";

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "pc-nginx-tls-"));
    fs.chmodSync(dir, 0o755);
    fs.mkdirSync(path.join(dir, "logs"));
    port = await freePort();
    const healthPort = await freePort();

    // The Secret as the tier creates it, written where nginx reads it.
    const secret = tlsSecret(n, model.tls.shop as { certificate: string; privateKey: string });
    const data = secret.stringData as Record<string, string>;
    const meta = secret.metadata as { namespace: string; name: string };
    const files = (ref: string) => {
      const [ns, name] = ref.split("/");
      if (ns !== meta.namespace || name !== meta.name)
        throw new Error(`${ref} is not the tier's TLS Secret ${meta.namespace}/${meta.name}`);
      const certFile = path.join(dir, `${name}.crt`);
      const keyFile = path.join(dir, `${name}.key`);
      fs.writeFileSync(certFile, data["tls.crt"]);
      fs.writeFileSync(keyFile, data["tls.key"], { mode: 0o600 });
      return { certFile, keyFile };
    };
    const ing = ingress(n, biz);
    const tlsEntries = (ing.spec as { tls?: { hosts: string[]; secretName: string }[] }).tls ?? [];
    const defaultArg = controllerArgs(n, biz, "10.0.0.1").find((a) =>
      a.startsWith("--default-ssl-certificate="),
    );
    if (!defaultArg) throw new Error("the controller has no --default-ssl-certificate");
    const served: NginxTls = {
      port,
      servers: tlsEntries.map((t) => ({ hosts: t.hosts, ...files(`${n.appNamespace}/${t.secretName}`) })),
      defaultCertificate: files(defaultArg.slice("--default-ssl-certificate=".length)),
    };
    const conf = path.join(dir, "nginx.conf");
    const paths = {
      drainFile: path.join(dir, "draining"),
      logDir: path.join(dir, "logs"),
      lbHealthPort: healthPort,
    };
    fs.writeFileSync(conf, renderNginxConf(nginxTuning(model, biz), paths, dir, served));
    proc = spawn("nginx", ["-c", conf, "-p", dir, "-g", "daemon off;"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    proc.stderr?.on("data", (c: Buffer) => (stderr += c.toString()));
    for (let i = 0; i < 100; i++) {
      if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}: ${stderr}`);
      try {
        await handshake(port, ca.certificate);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    throw new Error(`nginx did not complete a TLS handshake on port ${port} within 10 s: ${stderr}`);
  }, 30_000);

  afterAll(async () => {
    const p = proc;
    if (p?.pid && p.exitCode === null) {
      const exited = new Promise((resolve) => p.once("exit", resolve));
      process.kill(p.pid, "SIGQUIT");
      await exited;
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the Ingress lists every host of the business under the tier's TLS Secret", () => {
    expect((ingress(n, biz).spec as { tls?: unknown }).tls).toEqual([
      { hosts: shop.hosts, secretName: n.tlsSecret },
    ]);
  });

  it.each(shop.hosts)(
    "serves the business's certificate for %s, trusted through the company CA",
    async (host) => {
      expect(await handshake(port, ca.certificate, host)).toEqual({
        fingerprint,
        authorized: true,
        authorizationError: undefined,
      });
    },
  );

  it("serves the same certificate without SNI and for an unlisted name (no self-signed fake)", async () => {
    expect((await handshake(port, ca.certificate)).fingerprint).toBe(fingerprint);
    const other = await handshake(port, ca.certificate, "unlisted.example.org");
    expect(other.fingerprint).toBe(fingerprint);
    // The client still refuses it for a name it does not carry: the check is real.
    expect(other.authorized).toBe(false);
  });
});
