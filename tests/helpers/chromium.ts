/**
 * Debian's Chromium driven by playwright-core (Playwright's own browser
 * download cannot work here; scripts/toolchain.sh installs the package).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env.PRIVATE_CLOUD_CHROMIUM ?? "/usr/bin/chromium";
export const haveChromium = () => fs.existsSync(CHROMIUM);

/**
 * Chromium's own background traffic (updates, sync, field trials, QUIC) has
 * nowhere to go on this network and makes it refuse connections en masse;
 * the page needs none of it.
 */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Chromium with a fresh profile, signed in as `user` (HTTP Basic). */
export async function launch(user: string, password: string): Promise<BrowserContext> {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "pc-chromium-"));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    httpCredentials: { username: user, password },
    viewport: { width: 1600, height: 1000 },
  });
  // Chromium may still be writing its profile as it exits: best effort.
  ctx.on("close", () => {
    try {
      fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      // a leftover temp dir, not a test failure
    }
  });
  return ctx;
}
