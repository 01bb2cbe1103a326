/**
 * A JSON Schema for the GitLab CI keywords our pipeline template uses
 * (ci-templates/gitlab/private-cloud.gitlab-ci.yml), following GitLab's CI/CD
 * YAML reference, plus the cross-references a schema cannot express (stages,
 * `needs`, `extends`). The tests check the template with it.
 *
 * Why not GitLab's own ci.json: it cannot be fetched here, and the npm tool
 * that bundles it (gitlab-ci-local) needs Node 22 (this machine kind has 20).
 * Keywords GitLab has and the template does not use are refused on purpose: a
 * new keyword is added here together with its use, so a typo (`artefacts:`,
 * `need:`) cannot pass as an unknown-but-valid keyword.
 */
import { Type, type Static, type TSchema } from "@sinclair/typebox";
import Ajv from "ajv";

const Str = Type.String({ minLength: 1 });
const StrList = Type.Array(Str, { minItems: 1 });
const Script = Type.Union([Str, StrList]);
const Variables = Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.String());
const When = Type.Union(
  ["on_success", "on_failure", "always", "manual", "delayed", "never"].map((w) => Type.Literal(w)),
);
const Rule = Type.Object(
  {
    if: Type.Optional(Str),
    changes: Type.Optional(StrList),
    exists: Type.Optional(StrList),
    when: Type.Optional(When),
    allow_failure: Type.Optional(Type.Boolean()),
    variables: Type.Optional(Variables),
  },
  { additionalProperties: false },
);
const Need = Type.Union([
  Str,
  Type.Object(
    { job: Str, artifacts: Type.Optional(Type.Boolean()), optional: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  ),
]);
const Environment = Type.Union([
  Str,
  Type.Object(
    {
      name: Str,
      url: Type.Optional(Str),
      action: Type.Optional(
        Type.Union(["start", "prepare", "stop", "verify", "access"].map((a) => Type.Literal(a))),
      ),
      deployment_tier: Type.Optional(
        Type.Union(["production", "staging", "testing", "development", "other"].map((a) => Type.Literal(a))),
      ),
    },
    { additionalProperties: false },
  ),
]);
const Artifacts = Type.Object(
  {
    paths: Type.Optional(StrList),
    when: Type.Optional(Type.Union(["on_success", "on_failure", "always"].map((w) => Type.Literal(w)))),
    expire_in: Type.Optional(Str),
    name: Type.Optional(Str),
  },
  { additionalProperties: false },
);
const Cache = Type.Object(
  {
    key: Type.Optional(Str),
    paths: Type.Optional(StrList),
    policy: Type.Optional(Type.Union(["pull", "push", "pull-push"].map((p) => Type.Literal(p)))),
  },
  { additionalProperties: false },
);
const Parallel = Type.Union([
  Type.Integer({ minimum: 1, maximum: 200 }),
  Type.Object(
    {
      matrix: Type.Array(
        Type.Record(Type.String({ pattern: "^[A-Za-z_][A-Za-z0-9_]*$" }), Type.Union([Str, StrList])),
        {
          minItems: 1,
        },
      ),
    },
    { additionalProperties: false },
  ),
]);

const jobKeys = {
  stage: Type.Optional(Str),
  extends: Type.Optional(Type.Union([Str, StrList])),
  image: Type.Optional(Str),
  tags: Type.Optional(StrList),
  rules: Type.Optional(Type.Array(Rule, { minItems: 1 })),
  needs: Type.Optional(Type.Array(Need)),
  parallel: Type.Optional(Parallel),
  before_script: Type.Optional(Script),
  script: Type.Optional(Script),
  after_script: Type.Optional(Script),
  artifacts: Type.Optional(Artifacts),
  cache: Type.Optional(Cache),
  variables: Type.Optional(Variables),
  environment: Type.Optional(Environment),
  resource_group: Type.Optional(Str),
  when: Type.Optional(When),
  allow_failure: Type.Optional(Type.Boolean()),
  timeout: Type.Optional(Str),
  interruptible: Type.Optional(Type.Boolean()),
};
export const Job = Type.Object(jobKeys, { additionalProperties: false });
export type Job = Static<typeof Job>;

const Default = Type.Object(
  {
    image: Type.Optional(Str),
    tags: Type.Optional(StrList),
    before_script: Type.Optional(Script),
    after_script: Type.Optional(Script),
    cache: Type.Optional(Cache),
    interruptible: Type.Optional(Type.Boolean()),
    timeout: Type.Optional(Str),
  },
  { additionalProperties: false },
);

/** Top-level keywords; every other top-level key is a job (hidden when it starts with "."). */
const RESERVED = ["stages", "variables", "default", "include", "workflow"] as const;

export const Pipeline = Type.Object(
  {
    stages: Type.Optional(StrList),
    variables: Type.Optional(Variables),
    default: Type.Optional(Default),
  },
  {
    additionalProperties: Job as TSchema,
    propertyNames: { pattern: "^[.A-Za-z0-9_][A-Za-z0-9_. :-]*$" },
  },
);

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validatePipeline = ajv.compile(Pipeline);

/** Every problem of a parsed pipeline file, each with its path. */
export function checkGitLabPipeline(doc: unknown): string[] {
  const problems: string[] = [];
  if (!validatePipeline(doc)) {
    for (const e of validatePipeline.errors ?? [])
      problems.push(
        `${e.instancePath || "/"}: ${e.message}${e.params && "additionalProperty" in e.params ? ` (${String(e.params.additionalProperty)})` : ""}`,
      );
    return problems;
  }
  const d = doc as Record<string, unknown>;
  const stages = (d.stages as string[] | undefined) ?? ["build", "test", "deploy"];
  const jobs = Object.entries(d).filter(([k]) => !(RESERVED as readonly string[]).includes(k)) as [
    string,
    Job,
  ][];
  const names = new Set(jobs.map(([k]) => k));
  const resolved = (name: string, seen: string[] = []): Job => {
    const job = jobs.find(([k]) => k === name)?.[1] ?? {};
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends];
    let merged: Job = {};
    for (const p of parents) if (!seen.includes(p)) merged = { ...merged, ...resolved(p, [...seen, name]) };
    return { ...merged, ...job };
  };
  for (const [name, job] of jobs) {
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends];
    for (const p of parents)
      if (!names.has(p))
        problems.push(`/${name}/extends: ${JSON.stringify(p)} is not a job or template of this file`);
    if (name.startsWith(".")) continue;
    const full = resolved(name);
    const stage = full.stage ?? "test";
    if (!stages.includes(stage))
      problems.push(
        `/${name}/stage: ${JSON.stringify(stage)} is not one of the stages (${stages.join(", ")})`,
      );
    if (full.script === undefined) problems.push(`/${name}: a job needs a script`);
    for (const n of full.needs ?? []) {
      const target = typeof n === "string" ? n : n.job;
      if (!names.has(target) || target.startsWith("."))
        problems.push(`/${name}/needs: ${JSON.stringify(target)} is not a job of this file`);
      else {
        const ts = resolved(target).stage ?? "test";
        if (stages.indexOf(ts) > stages.indexOf(stage))
          problems.push(`/${name}/needs: ${target} runs in a later stage (${ts}) than ${name} (${stage})`);
      }
    }
  }
  return problems;
}
