/**
 * The few S3 calls `npm run unlock` needs on an s3:// state backend (list,
 * get, delete a lock object), made with curl's built-in SigV4 signing
 * (`--aws-sigv4`, curl >= 7.75) and the credentials Pulumi itself uses
 * (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY): no SDK for three requests.
 */
import { spawnSync } from "child_process";

export interface S3Location {
  /** `http(s)://host[:port]` */
  readonly endpoint: string;
  readonly bucket: string;
  /** Key prefix inside the bucket ("" or ending in "/"). */
  readonly prefix: string;
  readonly region: string;
  readonly accessKey: string;
  readonly secretKey: string;
}

/** Parses a Pulumi s3:// backend URL (the query parameters the README lists). */
export function s3Location(url: string, env: NodeJS.ProcessEnv): S3Location {
  const u = new URL(url);
  const q = u.searchParams;
  const insecure = q.get("disableSSL") === "true" || q.get("disable_https") === "true";
  const ep = q.get("endpoint");
  const region = q.get("region") ?? env.AWS_REGION ?? "us-east-1";
  const endpoint = ep
    ? /^https?:\/\//.test(ep)
      ? ep
      : `${insecure ? "http" : "https"}://${ep}`
    : `https://s3.${region}.amazonaws.com`;
  const accessKey = env.AWS_ACCESS_KEY_ID;
  const secretKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKey || !secretKey) {
    throw new Error(
      `${url.split("?")[0]}: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set (expected the state bucket's credentials)`,
    );
  }
  const path = u.pathname.replace(/^\/+/, "");
  return {
    endpoint,
    bucket: u.hostname,
    prefix: path ? `${path.replace(/\/+$/, "")}/` : "",
    region,
    accessKey,
    secretKey,
  };
}

function curl(loc: S3Location, method: string, key: string, query = ""): string {
  const url = `${loc.endpoint}/${loc.bucket}/${key.split("/").map(encodeURIComponent).join("/")}${query}`;
  const r = spawnSync(
    "curl",
    [
      "-sS",
      "--fail-with-body",
      "-X",
      method,
      "--aws-sigv4",
      `aws:amz:${loc.region}:s3`,
      "--user",
      `${loc.accessKey}:${loc.secretKey}`,
      url,
    ],
    { encoding: "utf8", maxBuffer: 64 * 2 ** 20 },
  );
  if (r.status !== 0) throw new Error(`${method} ${url}: ${(r.stderr || r.stdout).trim().slice(0, 300)}`);
  return r.stdout;
}

/** Keys under a prefix (ListObjectsV2; lock directories hold a handful). */
export async function s3List(loc: S3Location, prefix: string): Promise<string[]> {
  const xml = curl(loc, "GET", "", `?list-type=2&prefix=${encodeURIComponent(prefix)}`);
  return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1].replace(/&amp;/g, "&"));
}

export async function s3Get(loc: S3Location, key: string): Promise<string> {
  return curl(loc, "GET", key);
}

export async function s3Delete(loc: S3Location, key: string): Promise<void> {
  curl(loc, "DELETE", key);
}
