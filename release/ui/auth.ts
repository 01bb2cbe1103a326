/**
 * Who is acting, and whether a state-changing request really comes from our page.
 *
 * Authentication, one of:
 * - an htpasswd file of bcrypt entries (`htpasswd -B -c users alice`), checked
 *   on HTTP Basic credentials (bcryptjs: bcrypt's cost makes a stolen file
 *   slow to crack, and Apache's MD5/SHA1 entries are refused as too weak);
 * - a header set by a trusted reverse proxy that already authenticated the
 *   user (`--trust-header X-Forwarded-User`). The server then believes that
 *   header from anyone who can reach it, so it must only be reachable through
 *   the proxy (the default bind address, 127.0.0.1, keeps it so on one host).
 *
 * CSRF: a browser sends Basic credentials (and a proxy's session cookie) with
 * any cross-site form post, so every POST must also carry `X-CSRF-Token`: an
 * HMAC of the user name under a key made at server start. Only a page of
 * this origin can read it (GET /api/session, no CORS headers), and a custom
 * header cannot be sent cross-site without a preflight this server never
 * approves. A present `Origin` must also be this server's.
 */
import { createHmac, randomBytes, timingSafeEqual } from "crypto";
import * as fs from "fs";
import bcrypt from "bcryptjs";

/** User names go into the release history's update message: no spaces, no '='. */
export const USER_NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export type AuthConfig =
  | { readonly kind: "htpasswd"; readonly file: string; readonly users: ReadonlyMap<string, string> }
  | { readonly kind: "header"; readonly header: string };

/** Reads an htpasswd file; every line a bcrypt entry, or one error naming the line. */
export function readHtpasswd(file: string): Map<string, string> {
  const users = new Map<string, string>();
  const problems: string[] = [];
  fs.readFileSync(file, "utf8")
    .split("\n")
    .forEach((line, i) => {
      const l = line.trim();
      if (!l || l.startsWith("#")) return;
      const c = l.indexOf(":");
      const [user, hash] = [l.slice(0, c), l.slice(c + 1)];
      if (c <= 0 || !USER_NAME.test(user))
        problems.push(`${file}:${i + 1}: expected user:hash with a user name of letters, digits, . _ @ -`);
      else if (!/^\$2[aby]\$\d\d\$/.test(hash))
        problems.push(
          `${file}:${i + 1}: ${user}'s hash is not bcrypt (expected an entry made by htpasswd -B; MD5/SHA1/crypt are too weak)`,
        );
      else users.set(user, hash);
    });
  if (problems.length) throw new Error(`invalid htpasswd file:\n  - ${problems.join("\n  - ")}`);
  if (users.size === 0)
    throw new Error(`htpasswd file ${file} has no users (expected lines user:bcrypt-hash)`);
  return users;
}

export type AuthResult = { ok: true; user: string } | { ok: false; status: 401; message: string };

/** The user of a request, or why not. Bcrypt checks are cached per credential (the page polls). */
export function authenticator(cfg: AuthConfig): (headers: Record<string, unknown>) => Promise<AuthResult> {
  const good = new Map<string, string>();
  return async (headers) => {
    if (cfg.kind === "header") {
      const v = headers[cfg.header.toLowerCase()];
      if (typeof v !== "string" || !USER_NAME.test(v))
        return {
          ok: false,
          status: 401,
          message: `no user: expected the ${cfg.header} header from the authenticating proxy`,
        };
      return { ok: true, user: v };
    }
    const h = headers.authorization;
    const m = typeof h === "string" ? /^Basic ([A-Za-z0-9+/=]+)$/.exec(h) : null;
    if (!m)
      return { ok: false, status: 401, message: "authentication required (HTTP Basic, htpasswd users)" };
    const cached = good.get(m[1]);
    if (cached) return { ok: true, user: cached };
    const text = Buffer.from(m[1], "base64").toString("utf8");
    const c = text.indexOf(":");
    const [user, password] = [text.slice(0, c), text.slice(c + 1)];
    const hash = c > 0 ? cfg.users.get(user) : undefined;
    if (!hash || !(await bcrypt.compare(password, hash)))
      return { ok: false, status: 401, message: "wrong user name or password" };
    good.set(m[1], user);
    return { ok: true, user };
  };
}

/** CSRF tokens: HMAC(user) under a key that lives as long as the server. */
export function csrfTokens(key: Buffer = randomBytes(32)) {
  const tokenFor = (user: string) => createHmac("sha256", key).update(user).digest("base64url");
  return {
    tokenFor,
    check(user: string, given: unknown): boolean {
      if (typeof given !== "string") return false;
      const a = Buffer.from(tokenFor(user));
      const b = Buffer.from(given);
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}
