/**
 * Renders the pull-request comment of the PR-preview pipeline from the
 * previews each datacenter's job recorded (see scripts/lib/preview-comment.ts
 * for the files), and says whether the check fails.
 *
 *   ts-node scripts/preview-comment.ts --dir previews [--stacks dc-a,dc-b,dc-c]
 *       [--out comment.md] [--run-url URL] [--commit SHA] [--post github|gitlab]
 *
 * --post creates the comment on the pull/merge request, or updates the one an
 * earlier push made (scripts/lib/comment-post.ts), from the CI's environment:
 * GitHub: GITHUB_TOKEN, GITHUB_REPOSITORY, PR_NUMBER (GITHUB_API_URL);
 * GitLab: GITLAB_TOKEN, CI_API_V4_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID.
 *
 * Exit 0: every datacenter passes; 1: a mandatory policy violation or a failed
 * preview (the comment is written either way); 2: bad arguments.
 */
import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { readPreviews, renderComment } from "./lib/preview-comment";
import { targetFromEnv, upsertComment, type Target } from "./lib/comment-post";

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        dir: { type: "string" },
        stacks: { type: "string", default: "" },
        out: { type: "string" },
        "run-url": { type: "string" },
        commit: { type: "string" },
        post: { type: "string" },
      },
    }));
  } catch (e) {
    process.stderr.write(`preview-comment: ${(e as Error).message}\n`);
    return 2;
  }
  const dir = values.dir;
  if (!dir || !fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    process.stderr.write(
      `preview-comment: --dir: ${JSON.stringify(dir ?? "")} is not a directory (expected the directory the preview jobs' files were downloaded to)\n`,
    );
    return 2;
  }
  const stacks = values.stacks
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = stacks.filter((s) => !/^[A-Za-z0-9_.-]+$/.test(s));
  if (bad.length) {
    process.stderr.write(
      `preview-comment: --stacks: ${bad.map((s) => JSON.stringify(s)).join(", ")} is not a stack name (expected letters, digits, - _ .)\n`,
    );
    return 2;
  }
  let target: Target | undefined;
  if (values.post !== undefined) {
    try {
      target = targetFromEnv(values.post, process.env);
    } catch (e) {
      process.stderr.write(`preview-comment: ${(e as Error).message}\n`);
      return 2;
    }
  }
  const previews = readPreviews(
    dir,
    stacks,
    (f) => (fs.existsSync(f) ? fs.readFileSync(f, "utf8") : undefined),
    () => fs.readdirSync(dir),
  );
  if (!previews.length) {
    process.stderr.write(`preview-comment: ${dir} holds no previews and --stacks names none\n`);
    return 2;
  }
  const { markdown, failed } = renderComment(previews, { runUrl: values["run-url"], commit: values.commit });
  if (values.out) fs.writeFileSync(path.resolve(values.out), markdown);
  else process.stdout.write(markdown);
  if (target) {
    const r = await upsertComment(target, markdown);
    process.stderr.write(`preview-comment: ${r.action} comment ${r.id}\n`);
  }
  return failed ? 1 : 0;
}

main().then(
  (code) => (process.exitCode = code),
  (e: unknown) => {
    process.stderr.write(`preview-comment: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 2;
  },
);
