/**
 * The pull-request comment of the PR-preview pipeline (ci-templates/), built
 * from what `pulumi preview --policy-pack policy` leaves per datacenter:
 *
 * - `<stack>.events.jsonl`: stdout of `pulumi preview --json` with
 *   PULUMI_ENABLE_STREAMING_JSON_PREVIEW=true: the engine's events, one JSON
 *   object a line (steps, policy violations, diagnostics, the summary). The
 *   default `--json` output, a digest, drops policy events
 *   (pkg/backend/display/json.go: "we don't handle policy events in JSON
 *   serialization"), and `--event-log` is a debug-only flag on `preview`;
 * - `<stack>.preview.json` (optional): the digest form, read when present;
 * - `<stack>.exit`: the CLI's exit code (a preview can fail before it prints
 *   any JSON: a config error, a program exception).
 *
 * One comment for every datacenter, marked so the workflow updates it on the
 * next push instead of adding another. Replacements and deletions come first:
 * they are what a reviewer must not miss (a replaced StatefulSet or a deleted
 * namespace takes data with it).
 */

/** The marker the workflows look for to update the comment in place. */
export const COMMENT_MARKER = "<!-- private-cloud:pulumi-preview -->";

/** GitHub refuses comments over 65,536 characters; GitLab notes allow more, the smaller bound serves both. */
export const MAX_COMMENT_CHARS = 65_000;

/** One step of `pulumi preview --json` (the fields we read). */
export interface DigestStep {
  readonly op: string;
  readonly urn: string;
  readonly diffReasons?: readonly string[];
  readonly replaceReasons?: readonly string[];
  readonly detailedDiff?: Record<string, { readonly kind: string }>;
}

export interface PreviewDigest {
  readonly steps?: readonly DigestStep[];
  readonly diagnostics?: readonly {
    readonly urn?: string;
    readonly message: string;
    readonly severity: string;
  }[];
  readonly changeSummary?: Record<string, number>;
}

export interface PolicyViolation {
  readonly urn?: string;
  readonly policyName: string;
  readonly policyPackName: string;
  readonly enforcementLevel: string;
  readonly message: string;
  /** A matching policy exception: reported, but it does not fail the check. */
  readonly excepted: boolean;
}

export interface StackPreview {
  readonly stack: string;
  readonly exitCode: number;
  readonly digest?: PreviewDigest;
  readonly violations: readonly PolicyViolation[];
  /** The tail of stderr, shown when the preview failed without a digest. */
  readonly stderrTail?: string;
}

/** Parses an `--event-log` file (one engine event per line) into its policy violations. */
export function policyViolationsFromEventLog(text: string): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const seen = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let ev: { policyEvent?: Record<string, unknown> };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      continue; // a line cut short by a cancelled run; the rest still counts
    }
    const p = ev.policyEvent;
    if (!p) continue;
    const v: PolicyViolation = {
      urn: typeof p.resourceUrn === "string" && p.resourceUrn ? p.resourceUrn : undefined,
      policyName: String(p.policyName ?? ""),
      policyPackName: String(p.policyPackName ?? ""),
      enforcementLevel: String(p.enforcementLevel ?? ""),
      message: String(p.message ?? "")
        .replace(/<\{%[^%]*%\}>/g, "")
        .trim(),
      excepted: Array.isArray(p.exceptions) && p.exceptions.length > 0,
    };
    const key = JSON.stringify(v);
    if (!seen.has(key)) {
      seen.add(key);
      out.push(v);
    }
  }
  return out;
}

/**
 * The digest's content rebuilt from the streamed engine events: one step per
 * resourcePreEvent, the summary's resource changes, the diagnostics.
 */
export function digestFromEventLog(text: string): PreviewDigest | undefined {
  const steps: DigestStep[] = [];
  const diagnostics: { urn?: string; message: string; severity: string }[] = [];
  let changeSummary: Record<string, number> | undefined;
  let any = false;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    let ev: {
      resourcePreEvent?: {
        metadata?: {
          op: string;
          urn: string;
          keys?: string[];
          diffs?: string[];
          detailedDiff?: Record<string, { kind: string }> | null;
        };
      };
      diagnosticEvent?: {
        urn?: string;
        message?: string;
        prefix?: string;
        severity?: string;
        ephemeral?: boolean;
      };
      summaryEvent?: { resourceChanges?: Record<string, number> };
    };
    try {
      ev = JSON.parse(line) as typeof ev;
    } catch {
      continue;
    }
    any = true;
    const m = ev.resourcePreEvent?.metadata;
    if (m)
      steps.push({
        op: m.op,
        urn: m.urn,
        replaceReasons: m.keys,
        diffReasons: m.diffs,
        detailedDiff: m.detailedDiff ?? undefined,
      });
    const d = ev.diagnosticEvent;
    if (d && !d.ephemeral && d.severity !== "debug")
      diagnostics.push({
        urn: d.urn,
        message: `${d.prefix ?? ""}${d.message ?? ""}`,
        severity: d.severity ?? "info",
      });
    if (ev.summaryEvent) changeSummary = ev.summaryEvent.resourceChanges;
  }
  return any ? { steps, diagnostics, changeSummary } : undefined;
}

/** Parses the digest; undefined when the preview printed none (it failed first). */
export function parseDigest(text: string): PreviewDigest | undefined {
  const t = text.trim();
  if (!t) return undefined;
  // The digest is one JSON document; anything before its first "{" is noise.
  const start = t.indexOf("{");
  if (start < 0) return undefined;
  try {
    return JSON.parse(t.slice(start)) as PreviewDigest;
  } catch {
    return undefined;
  }
}

/** The resource's type (last of the parent chain) and name from its URN. */
export function urnParts(urn: string): { type: string; name: string } {
  const parts = urn.split("::");
  const name = parts.length >= 4 ? parts.slice(3).join("::") : urn;
  const chain = parts[2] ?? "";
  const type = chain.split("$").pop() ?? chain;
  return { type, name };
}

/** One logical change per resource (a replacement shows as up to three steps). */
export type Change = "create" | "update" | "replace" | "delete" | "import" | "read";

const STEP_TO_CHANGE: Record<string, Change | undefined> = {
  create: "create",
  update: "update",
  replace: "replace",
  "create-replacement": "replace",
  "delete-replaced": "replace",
  "discard-replaced": "replace",
  delete: "delete",
  discard: "delete",
  import: "import",
  "import-replacement": "replace",
  read: "read",
  "read-replacement": "replace",
};

const RANK: Record<Change, number> = { delete: 0, replace: 1, update: 2, create: 3, import: 4, read: 5 };

export interface ResourceChange {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly change: Change;
  /** Properties that force the replacement, or that differ for an update. */
  readonly because: readonly string[];
}

export function changesOf(digest: PreviewDigest | undefined): ResourceChange[] {
  const byUrn = new Map<string, ResourceChange>();
  for (const s of digest?.steps ?? []) {
    const change = STEP_TO_CHANGE[s.op];
    if (!change || s.urn.includes("pulumi:pulumi:Stack")) continue;
    const prev = byUrn.get(s.urn);
    const because = [
      ...(change === "replace" ? (s.replaceReasons ?? []) : []),
      ...(s.diffReasons ?? []),
      ...Object.keys(s.detailedDiff ?? {}),
    ];
    if (!prev || RANK[change] < RANK[prev.change]) {
      byUrn.set(s.urn, {
        urn: s.urn,
        ...urnParts(s.urn),
        change,
        because: [...new Set([...(prev?.because ?? []), ...because])],
      });
    } else {
      byUrn.set(s.urn, { ...prev, because: [...new Set([...prev.because, ...because])] });
    }
  }
  return [...byUrn.values()].sort(
    (a, b) => RANK[a.change] - RANK[b.change] || a.type.localeCompare(b.type) || a.name.localeCompare(b.name),
  );
}

export function blockingViolations(p: StackPreview): PolicyViolation[] {
  return p.violations.filter((v) => v.enforcementLevel === "mandatory" && !v.excepted);
}

/** Why this stack fails the check, or undefined when it passes. */
export function failure(p: StackPreview): string | undefined {
  const blocking = blockingViolations(p).length;
  if (blocking) return `${blocking} mandatory policy violation${blocking === 1 ? "" : "s"}`;
  if (p.exitCode !== 0) return `preview failed (exit ${p.exitCode})`;
  return undefined;
}

const ICON: Record<Change, string> = {
  delete: "🗑️ delete",
  replace: "♻️ replace",
  update: "✏️ update",
  create: "➕ create",
  import: "📥 import",
  read: "👁️ read",
};

/** Markdown-safe inline code (a backtick in a name must not end the span). */
function code(s: string): string {
  return "`" + s.replace(/`/g, "ʼ") + "`";
}

/** A table cell: no line breaks or pipes. */
function cell(s: string): string {
  return s.replace(/\r?\n/g, " ").replace(/\|/g, "\\|");
}

function summaryCounts(changes: readonly ResourceChange[]): Record<Change, number> {
  const counts: Record<Change, number> = { create: 0, update: 0, replace: 0, delete: 0, import: 0, read: 0 };
  for (const c of changes) counts[c.change]++;
  return counts;
}

export interface CommentOptions {
  /** Link to the CI run, shown under the title. */
  readonly runUrl?: string;
  /** The commit previewed. */
  readonly commit?: string;
}

/** The comment body, and whether the check fails. */
export function renderComment(
  previews: readonly StackPreview[],
  opts: CommentOptions = {},
): { markdown: string; failed: boolean } {
  const sorted = [...previews].sort((a, b) => a.stack.localeCompare(b.stack));
  const failedStacks = sorted.filter((p) => failure(p) !== undefined);
  const lines: string[] = [COMMENT_MARKER];
  lines.push(
    `## Pulumi preview: ${failedStacks.length ? `❌ ${failedStacks.map((p) => p.stack).join(", ")} blocked` : "✅ every datacenter passes"}`,
  );
  const meta = [
    opts.commit ? `commit ${code(opts.commit.slice(0, 12))}` : "",
    opts.runUrl ? `[CI run](${opts.runUrl})` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  if (meta) lines.push("", meta);

  lines.push(
    "",
    "| datacenter | result | 🗑️ delete | ♻️ replace | ✏️ update | ➕ create | policy: mandatory / advisory |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
  );
  const changesBy = new Map(sorted.map((p) => [p.stack, changesOf(p.digest)]));
  for (const p of sorted) {
    const c = summaryCounts(changesBy.get(p.stack) ?? []);
    const f = failure(p);
    const mandatory = blockingViolations(p).length;
    const advisory = p.violations.length - mandatory;
    lines.push(
      `| **${p.stack}** | ${f ? `❌ ${f}` : "✅ passes"} | ${c.delete} | ${c.replace} | ${c.update} | ${c.create} | ${mandatory} / ${advisory} |`,
    );
  }

  const risky = sorted.flatMap((p) =>
    (changesBy.get(p.stack) ?? [])
      .filter((c) => c.change === "delete" || c.change === "replace")
      .map((c) => ({ stack: p.stack, c })),
  );
  if (risky.length) {
    lines.push("", `### ⚠️ Replacements and deletions: review these first (${risky.length})`, "");
    lines.push("| datacenter | change | kind | resource | because of |", "| --- | --- | --- | --- | --- |");
    for (const { stack, c } of risky)
      lines.push(
        `| ${stack} | ${ICON[c.change]} | ${code(c.type)} | ${code(c.name)} | ${c.because.length ? c.because.map(code).join(", ") : ""} |`,
      );
  }

  const violations = sorted.flatMap((p) => p.violations.map((v) => ({ stack: p.stack, v })));
  const mandatory = violations.filter(({ v }) => v.enforcementLevel === "mandatory");
  const advisory = violations.filter(({ v }) => v.enforcementLevel !== "mandatory");
  const violationRows = (list: typeof violations) => [
    "| datacenter | policy | resource | message |",
    "| --- | --- | --- | --- |",
    ...list.map(
      ({ stack, v }) =>
        `| ${stack} | ${code(v.policyName)}${v.excepted ? " (excepted)" : ""} | ${v.urn ? code(`${urnParts(v.urn).type} ${urnParts(v.urn).name}`) : "(stack)"} | ${cell(v.message)} |`,
    ),
  ];
  if (mandatory.length) {
    lines.push("", `### ❌ Mandatory policy violations (${mandatory.length}): these block the merge`, "");
    lines.push(...violationRows(mandatory));
  }
  if (advisory.length) {
    lines.push("", `<details><summary>Advisory policy findings (${advisory.length})</summary>`, "");
    lines.push(...violationRows(advisory), "", "</details>");
  }

  for (const p of sorted) {
    const errors = (p.digest?.diagnostics ?? []).filter((d) => d.severity === "error");
    if (p.exitCode !== 0 && (errors.length || (!p.digest && p.stderrTail))) {
      lines.push("", `### ${p.stack}: errors`, "", "```");
      if (errors.length) for (const e of errors) lines.push(e.message.trim());
      else lines.push((p.stderrTail ?? "").trim());
      lines.push("```");
    }
  }

  const details: string[] = [];
  for (const p of sorted) {
    const changes = (changesBy.get(p.stack) ?? []).filter((c) => c.change !== "read");
    if (!changes.length) continue;
    details.push("", `<details><summary>${p.stack}: every change (${changes.length})</summary>`, "");
    details.push("| change | kind | resource | properties |", "| --- | --- | --- | --- |");
    for (const c of changes)
      details.push(
        `| ${ICON[c.change]} | ${code(c.type)} | ${code(c.name)} | ${c.because.slice(0, 8).map(code).join(", ")} |`,
      );
    details.push("", "</details>");
  }

  if (!sorted.some((p) => (changesBy.get(p.stack) ?? []).length || p.violations.length || p.exitCode !== 0))
    lines.push("", "No changes and no policy findings.");

  // Too long for one comment: the per-datacenter lists go first (the summary,
  // the risky changes and the violations are what the comment is for).
  const note = "\n… cut to fit one comment; the full previews are the CI run's artifacts.\n";
  let markdown = [...lines, ...details].join("\n") + "\n";
  if (markdown.length > MAX_COMMENT_CHARS) markdown = lines.join("\n") + "\n" + note;
  if (markdown.length > MAX_COMMENT_CHARS) {
    markdown = markdown.slice(0, MAX_COMMENT_CHARS - note.length);
    markdown = markdown.slice(0, markdown.lastIndexOf("\n")) + "\n" + note;
  }
  return { markdown, failed: failedStacks.length > 0 };
}

/**
 * Reads a directory of recorded previews (`<stack>.preview.json`,
 * `<stack>.events.jsonl`, `<stack>.exit`, optional `<stack>.stderr`). A stack
 * in `expected` with no files at all counts as failed: its job died before it
 * could record anything, and a silent pass would hide that.
 */
export function readPreviews(
  dir: string,
  expected: readonly string[],
  fsRead: (file: string) => string | undefined,
  list: () => readonly string[],
): StackPreview[] {
  const stacks = new Set(expected);
  for (const f of list()) {
    const m = /^(.+)\.(preview\.json|events\.jsonl|exit)$/.exec(f);
    if (m) stacks.add(m[1]);
  }
  return [...stacks].map((stack) => {
    const at = (suffix: string) => fsRead(`${dir}/${stack}.${suffix}`);
    const exitText = at("exit");
    const json = at("preview.json");
    const events = at("events.jsonl");
    const stderr = at("stderr");
    if (exitText === undefined && json === undefined && events === undefined)
      return {
        stack,
        exitCode: 1,
        violations: [],
        stderrTail: "no preview was recorded for this datacenter (its job failed before the preview ran)",
      };
    const exitCode = exitText === undefined ? 1 : Number(exitText.trim());
    return {
      stack,
      exitCode: Number.isInteger(exitCode) ? exitCode : 1,
      digest: parseDigest(json ?? "") ?? digestFromEventLog(events ?? ""),
      violations: policyViolationsFromEventLog(events ?? ""),
      stderrTail: stderr ? stderr.split("\n").slice(-30).join("\n") : undefined,
    };
  });
}
