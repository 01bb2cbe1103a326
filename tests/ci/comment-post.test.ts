/**
 * The preview comment is one comment per pull/merge request: the first push
 * creates it, every later push rewrites it, whatever else people commented
 * (found on a later page too). Checked against a local fake of the GitHub and
 * GitLab REST endpoints the script calls.
 */
import * as http from "http";
import type { AddressInfo } from "net";
import { targetFromEnv, upsertComment, type Target } from "../../scripts/lib/comment-post";
import { COMMENT_MARKER } from "../../scripts/lib/preview-comment";

interface Stored {
  id: number;
  body: string;
}

/** A fake API holding one thread's comments; 2 per page so paging is exercised. */
function fakeApi(kind: "github" | "gitlab") {
  const comments: Stored[] = [
    { id: 1, body: "LGTM" },
    { id: 2, body: "what about dc-b?" },
    { id: 3, body: "see the runbook" },
  ];
  const calls: string[] = [];
  let nextId = 100;
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      calls.push(`${req.method} ${url.pathname}`);
      const auth = kind === "github" ? req.headers.authorization : req.headers["private-token"];
      if (auth !== (kind === "github" ? "Bearer t0ken" : "t0ken")) {
        res.writeHead(401).end("{}");
        return;
      }
      const list =
        kind === "github" ? "/repos/acme/platform/issues/7/comments" : "/projects/42/merge_requests/7/notes";
      const one =
        kind === "github"
          ? /^\/repos\/acme\/platform\/issues\/comments\/(\d+)$/
          : /^\/projects\/42\/merge_requests\/7\/notes\/(\d+)$/;
      const json = (code: number, v: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(code, { "content-type": "application/json", ...headers });
        res.end(JSON.stringify(v));
      };
      if (req.method === "GET" && url.pathname === list) {
        const page = Number(url.searchParams.get("page") ?? "1");
        const slice = comments.slice((page - 1) * 2, page * 2);
        const more = page * 2 < comments.length;
        const headers: Record<string, string> = {};
        if (more && kind === "github")
          headers.link = `<http://${req.headers.host}${list}?per_page=100&page=${page + 1}>; rel="next"`;
        if (more && kind === "gitlab") headers["x-next-page"] = String(page + 1);
        return json(200, slice, headers);
      }
      if (req.method === "POST" && url.pathname === list) {
        const c = { id: nextId++, body: (JSON.parse(body) as Stored).body };
        comments.push(c);
        return json(201, c);
      }
      const m = one.exec(url.pathname);
      if (m && req.method === (kind === "github" ? "PATCH" : "PUT")) {
        const c = comments.find((x) => x.id === Number(m[1]));
        if (!c) return json(404, {});
        c.body = (JSON.parse(body) as Stored).body;
        return json(200, c);
      }
      json(404, { message: `no route ${req.method} ${url.pathname}` });
    });
  });
  return { server, comments, calls };
}

async function withApi<T>(
  kind: "github" | "gitlab",
  fn: (t: Target, api: ReturnType<typeof fakeApi>) => Promise<T>,
) {
  const api = fakeApi(kind);
  await new Promise<void>((r) => api.server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  const target: Target =
    kind === "github"
      ? { kind, apiUrl: base, repository: "acme/platform", pullRequest: 7, token: "t0ken" }
      : { kind, apiUrl: base, projectId: "42", mergeRequest: 7, token: "t0ken" };
  try {
    return await fn(target, api);
  } finally {
    await new Promise((r) => api.server.close(r));
  }
}

describe.each(["github", "gitlab"] as const)("upsertComment on %s", (kind) => {
  it("creates the comment on the first push and updates that one on every later push", async () => {
    await withApi(kind, async (target, api) => {
      const first = await upsertComment(target, `${COMMENT_MARKER}\npreview 1`);
      expect(first.action).toBe("created");
      const second = await upsertComment(target, `${COMMENT_MARKER}\npreview 2`);
      const third = await upsertComment(target, `${COMMENT_MARKER}\npreview 3`);
      expect([second, third]).toEqual([
        { action: "updated", id: first.id },
        { action: "updated", id: first.id },
      ]);
      const ours = api.comments.filter((c) => c.body.startsWith(COMMENT_MARKER));
      expect(ours).toEqual([{ id: first.id, body: `${COMMENT_MARKER}\npreview 3` }]);
      // Other people's comments are untouched.
      expect(api.comments.slice(0, 3).map((c) => c.body)).toEqual([
        "LGTM",
        "what about dc-b?",
        "see the runbook",
      ]);
    });
  });

  it("says what failed when the API refuses the token", async () => {
    await withApi(kind, async (target) => {
      await expect(upsertComment({ ...target, token: "wrong" }, `${COMMENT_MARKER}\nx`)).rejects.toThrow(
        /HTTP 401/,
      );
    });
  });
});

describe("targetFromEnv", () => {
  it("names every missing variable", () => {
    expect(() => targetFromEnv("github", { GITHUB_REPOSITORY: "a/b" })).toThrow(
      "--post github: environment variable(s) PR_NUMBER, GITHUB_TOKEN not set (the workflow passes them)",
    );
    expect(() => targetFromEnv("gitlab", {})).toThrow(
      /CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, GITLAB_TOKEN not set/,
    );
    expect(() => targetFromEnv("bitbucket", {})).toThrow(
      '--post: "bitbucket" is not supported (expected github or gitlab)',
    );
  });
});
