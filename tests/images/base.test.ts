/**
 * The base images, run with podman: `base` runs as a non-root user and has
 * glibc; `base-s6` supervises its services (seed part 9).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { containerName, describeImage, loadImage, ok, podman, removeContainer, waitFor } from "./podman";

jest.setTimeout(180_000);

describeImage("base")("base image", () => {
  let image: string;
  beforeAll(() => {
    image = loadImage("base");
  });

  it("runs as the non-root user app (uid 10001) by default", () => {
    // dash builtins only: the image has no coreutils.
    const out = ok(
      podman([
        "run",
        "--rm",
        image,
        "/bin/sh",
        "-c",
        'while read -r k r e rest; do if [ "$k" = Uid: ]; then echo "$r $e"; fi; done < /proc/self/status',
      ]),
      "podman run base",
    );
    expect(out.trim()).toBe("10001 10001");
  });

  it("has glibc, CA certificates and UTC time zone data", () => {
    const out = ok(
      podman(["run", "--rm", "--entrypoint", "/lib64/ld-linux-x86-64.so.2", image, "--version"]),
      "ld.so --version",
    );
    expect(out).toMatch(/GLIBC 2\.\d+.*release version 2\.\d+/);
    const files = ok(
      podman([
        "run",
        "--rm",
        image,
        "/bin/sh",
        "-c",
        'test -s /etc/ssl/certs/ca-certificates.crt && echo certs; test -f /usr/share/zoneinfo/Europe/Berlin && echo tzdata; echo "TZ=$TZ"',
      ]),
      "files",
    );
    expect(files.split("\n")).toEqual(expect.arrayContaining(["certs", "tzdata", "TZ=Etc/UTC"]));
  });

  it("records its Debian packages and versions", () => {
    const out = ok(
      podman([
        "run",
        "--rm",
        image,
        "/bin/sh",
        "-c",
        'while read -r l; do echo "$l"; done < /usr/share/private-cloud/image-packages.txt',
      ]),
      "packages",
    );
    expect(out).toMatch(/^libc6 2\.\d+/m);
    expect(out).toMatch(/^ca-certificates \d+/m);
    expect(out).toMatch(/^tzdata \d+/m);
  });
});

describeImage("base-s6")("base-s6 image", () => {
  let image: string;
  let services: string;
  const name = containerName("s6");

  beforeAll(() => {
    image = loadImage("base-s6");
    services = fs.mkdtempSync(path.join(os.tmpdir(), "pc-s6-"));
    // "web" stops on SIGTERM; "worker" ignores it (s6 must kill it after the
    // grace) and leaves an orphan behind at start (s6-svscan must reap it).
    const svc = (n: string, run: string) => {
      fs.mkdirSync(path.join(services, n));
      fs.writeFileSync(path.join(services, n, "run"), run, { mode: 0o755 });
    };
    svc("web", '#!/bin/sh\necho "web up $$"\nexec sleep 100000\n');
    svc(
      "worker",
      "#!/bin/sh\ntrap '' TERM\necho \"worker up $$\"\n(sh -c 'sleep 0.2' &)\nwhile :; do sleep 1; done\n",
    );
    fs.chmodSync(services, 0o755);
    ok(
      podman([
        "run",
        "-d",
        "--name",
        name,
        "-e",
        "S6_KILL_GRACE_MS=2000",
        "-v",
        `${services}:/etc/services.d:ro`,
        image,
      ]),
      "podman run base-s6",
    );
  });
  afterAll(() => {
    removeContainer(name);
    fs.rmSync(services, { recursive: true, force: true });
  });

  const svstat = (svc: string) => podman(["exec", name, "s6-svstat", `/tmp/s6/${svc}`]).stdout;
  const pidOf = (svc: string) => /up \(pid (\d+)\)/.exec(svstat(svc))?.[1];

  it("starts every service under s6-svscan as PID 1", async () => {
    await waitFor(() => pidOf("web"), 20_000, "web up");
    await waitFor(() => pidOf("worker"), 20_000, "worker up");
    const comm = ok(podman(["exec", name, "cat", "/proc/1/comm"]), "pid 1");
    expect(comm.trim()).toBe("s6-svscan");
  });

  it("reaps orphaned zombies", async () => {
    // The worker's orphan exits after 0.2 s; give PID 1 a moment to reap it.
    await new Promise((r) => setTimeout(r, 1500));
    const states = ok(
      podman([
        "exec",
        name,
        "sh",
        "-c",
        'for f in /proc/[0-9]*/stat; do read -r p c s rest < $f; echo "$p $c $s"; done',
      ]),
      "ps",
    );
    expect(states.split("\n").filter((l) => / Z$/.test(l))).toEqual([]);
  });

  it("restarts a service that was killed", async () => {
    const before = await waitFor(() => pidOf("web"), 20_000, "web up");
    ok(podman(["exec", name, "sh", "-c", `kill -KILL ${before}`]), "kill web");
    const after = await waitFor(
      () => {
        const p = pidOf("web");
        return p && p !== before ? p : undefined;
      },
      20_000,
      "web restarted",
    );
    expect(after).not.toBe(before);
    expect(pidOf("worker")).toBeDefined();
  });

  it("stops every service on SIGTERM within the grace, even one that ignores SIGTERM", () => {
    const t0 = Date.now();
    // podman would SIGKILL after 30 s; s6 must be done long before.
    ok(podman(["stop", "-t", "30", name]), "podman stop");
    const seconds = (Date.now() - t0) / 1000;
    // Exit 0 (not 137) already says podman did not have to SIGKILL PID 1.
    expect(seconds).toBeLessThan(25);
    const state = ok(podman(["inspect", name, "--format", "{{.State.ExitCode}}"]), "inspect").trim();
    expect(state).toBe("0");
    const logs = podman(["logs", name]);
    expect(logs.stdout + logs.stderr).toMatch(/all services stopped/);
  });
});
