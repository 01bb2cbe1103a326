/**
 * Posts the preview comment on the pull request (GitHub) or merge request
 * (GitLab), or updates the one an earlier push left: it is found by
 * COMMENT_MARKER, so every push rewrites one comment instead of piling up
 * another. Node's own fetch, so a self-hosted runner needs no `gh` or `jq`.
 */
import { COMMENT_MARKER } from "./preview-comment";

export interface GitHubTarget {
  readonly kind: "github";
  /** e.g. https://api.github.com (GITHUB_API_URL). */
  readonly apiUrl: string;
  /** owner/name (GITHUB_REPOSITORY). */
  readonly repository: string;
  readonly pullRequest: number;
  readonly token: string;
}

export interface GitLabTarget {
  readonly kind: "gitlab";
  /** e.g. https://gitlab.example.com/api/v4 (CI_API_V4_URL). */
  readonly apiUrl: string;
  /** CI_PROJECT_ID. */
  readonly projectId: string;
  /** CI_MERGE_REQUEST_IID. */
  readonly mergeRequest: number;
  readonly token: string;
}

export type Target = GitHubTarget | GitLabTarget;

interface Comment {
  readonly id: number;
  readonly body: string;
}

async function call(
  target: Target,
  method: string,
  url: string,
  body?: unknown,
): Promise<{ json: unknown; next?: string }> {
  const headers: Record<string, string> =
    target.kind === "github"
      ? {
          authorization: `Bearer ${target.token}`,
          accept: "application/vnd.github+json",
          "x-github-api-version": "2022-11-28",
        }
      : { "private-token": target.token };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) {
    const text = await res.text().catch(() => "");
    throw new Error(`${method} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  }
  const link = res.headers.get("link") ?? "";
  const next = /<([^>]+)>;\s*rel="next"/.exec(link)?.[1] ?? undefined;
  const nextPage = res.headers.get("x-next-page");
  return {
    json: await res.json(),
    next: next ?? (nextPage ? withPage(url, nextPage) : undefined),
  };
}

function withPage(url: string, page: string): string {
  const u = new URL(url);
  u.searchParams.set("page", page);
  return u.toString();
}

function listUrl(t: Target): string {
  return t.kind === "github"
    ? `${t.apiUrl}/repos/${t.repository}/issues/${t.pullRequest}/comments?per_page=100`
    : `${t.apiUrl}/projects/${encodeURIComponent(t.projectId)}/merge_requests/${t.mergeRequest}/notes?per_page=100&sort=asc`;
}

/** Creates or updates the marked comment; returns what it did and the comment's id. */
export async function upsertComment(
  target: Target,
  body: string,
): Promise<{ action: "created" | "updated"; id: number }> {
  if (!body.startsWith(COMMENT_MARKER))
    throw new Error("the comment body must start with the preview marker");
  let url: string | undefined = listUrl(target);
  let existing: Comment | undefined;
  for (let pages = 0; url && pages < 50 && !existing; pages++) {
    const page: { json: unknown; next?: string } = await call(target, "GET", url);
    const comments = page.json as Comment[];
    existing = comments.find((c) => typeof c.body === "string" && c.body.startsWith(COMMENT_MARKER));
    url = page.next;
  }
  if (existing) {
    const u =
      target.kind === "github"
        ? `${target.apiUrl}/repos/${target.repository}/issues/comments/${existing.id}`
        : `${target.apiUrl}/projects/${encodeURIComponent(target.projectId)}/merge_requests/${target.mergeRequest}/notes/${existing.id}`;
    await call(target, target.kind === "github" ? "PATCH" : "PUT", u, { body });
    return { action: "updated", id: existing.id };
  }
  const created = await call(target, "POST", listUrl(target).replace(/\?.*$/, ""), { body });
  return { action: "created", id: (created.json as Comment).id };
}

/** The target from the CI's own environment variables; every missing one is named. */
export function targetFromEnv(kind: string, env: NodeJS.ProcessEnv): Target {
  const missing: string[] = [];
  const need = (name: string) => {
    const v = env[name];
    if (!v) missing.push(name);
    return v ?? "";
  };
  let t: Target;
  if (kind === "github") {
    t = {
      kind,
      apiUrl: env.GITHUB_API_URL || "https://api.github.com",
      repository: need("GITHUB_REPOSITORY"),
      pullRequest: Number(need("PR_NUMBER")),
      token: need("GITHUB_TOKEN"),
    };
  } else if (kind === "gitlab") {
    t = {
      kind,
      apiUrl: need("CI_API_V4_URL"),
      projectId: need("CI_PROJECT_ID"),
      mergeRequest: Number(need("CI_MERGE_REQUEST_IID")),
      token: need("GITLAB_TOKEN"),
    };
  } else throw new Error(`--post: ${JSON.stringify(kind)} is not supported (expected github or gitlab)`);
  if (missing.length)
    throw new Error(
      `--post ${kind}: environment variable(s) ${missing.join(", ")} not set (the workflow passes them)`,
    );
  return t;
}
