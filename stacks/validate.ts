/**
 * Schema validation with error messages a user can act on.
 *
 * Every problem becomes `<config path>: <what is wrong> (expected <what is
 * expected>)`; all problems are collected and thrown once, before any resource
 * is registered, so a bad config creates nothing.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import type { Static, TSchema } from "@sinclair/typebox";
import { expectedOf } from "./schema";
import { isCidr4 } from "./net";

export interface ConfigIssue {
  /** Where the problem is, as the user would look for it, e.g. `private-cloud:masters.hostnames[1]`. */
  readonly path: string;
  /** What is wrong and what is expected. */
  readonly message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly issues: readonly ConfigIssue[],
    what = "configuration",
  ) {
    super(
      `invalid ${what}: ${issues.length} problem${issues.length === 1 ? "" : "s"}; nothing was created\n` +
        issues.map((i) => `  - ${i.path}: ${i.message}`).join("\n"),
    );
    this.name = "ConfigError";
  }
}

/** Renders a value for an error message: JSON, cut short so a huge object does not drown the message. */
export function show(value: unknown): string {
  const text = value === undefined ? "undefined" : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * Joins a path. `root` is either a config namespace ending in ":" (the first
 * segment is then the config key: `private-cloud:masters.hostnames[1]`) or a
 * file name (`inventory/dc-a.yaml: hosts[3].ip`).
 */
export function joinPath(root: string, segments: readonly (string | number)[]): string {
  let out = root;
  segments.forEach((seg, i) => {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (i === 0 && root.endsWith(":")) out += seg;
    else if (i === 0) out += ` ${seg}`;
    else out += `.${seg}`;
  });
  return out;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, verbose: true, strict: false });
addFormats(ajv, ["ipv4"]);
ajv.addFormat("cidr4", { type: "string", validate: isCidr4 });
const compiled = new WeakMap<TSchema, ValidateFunction>();

function segmentsOf(instancePath: string): (string | number)[] {
  if (instancePath === "") return [];
  return instancePath
    .slice(1)
    .split("/")
    .map((s) => s.replace(/~1/g, "/").replace(/~0/g, "~"))
    .map((s) => (/^[0-9]+$/.test(s) ? Number(s) : s));
}

function messageFor(errors: ErrorObject[]): { extra?: string; message: string } {
  const first = errors[0];
  if (first.keyword === "required") {
    const missing = (first.params as { missingProperty: string }).missingProperty;
    const sub = (first.parentSchema as { properties?: Record<string, TSchema> })?.properties?.[missing];
    const exp = expectedOf(sub) ?? (sub as { description?: string })?.description;
    return {
      extra: missing,
      message: `is required (expected ${exp ?? 'this setting; see README "Configuration"'})`,
    };
  }
  if (first.keyword === "additionalProperties") {
    const extra = (first.params as { additionalProperty: string }).additionalProperty;
    const known = Object.keys((first.parentSchema as { properties?: object })?.properties ?? {});
    return { extra, message: `unknown setting (expected one of: ${known.join(", ")})` };
  }
  // Unions of literals and `not` clauses make ajv report several low-level
  // errors for one mistake; the schema's `expected` annotation says it once.
  const withExpected = errors.map((e) => expectedOf(e.parentSchema as TSchema)).find((x) => x !== undefined);
  const value = first.data;
  // A list of sections is too long to echo: say how many entries it has.
  const shown =
    Array.isArray(value) && value.some((v) => typeof v === "object" && v !== null)
      ? `${value.length} entries`
      : show(value);
  // YAML reads an unquoted 5.10 as the number 5.1 and 1e3 as 1000: the
  // value the user sees in the message is not the one they wrote, so say why.
  const wantsString = errors.some(
    (e) => e.keyword === "type" && (e.params as { type?: string }).type === "string",
  );
  if (wantsString && (typeof value === "number" || typeof value === "boolean"))
    return {
      message: `${show(value)} is a ${typeof value}, not a string: YAML read the unquoted value as one (expected ${withExpected ?? "a string"}; quote it, e.g. "5.10", which unquoted becomes 5.1)`,
    };
  if (withExpected) return { message: `${shown} is not valid (expected ${withExpected})` };
  // A union of literals: ajv says "must be equal to constant" once per
  // alternative; the user needs the list of allowed values.
  const allowed = [
    ...new Set(
      errors.flatMap((e) =>
        e.keyword === "const"
          ? [(e.params as { allowedValue: unknown }).allowedValue]
          : e.keyword === "enum"
            ? (e.params as { allowedValues: unknown[] }).allowedValues
            : [],
      ),
    ),
  ];
  if (allowed.length > 0)
    return {
      message: `${show(value)} is not valid (expected one of ${allowed.map((v) => show(v)).join(", ")})`,
    };
  const expected = expectedFromSchema(first.parentSchema as SchemaBits | undefined);
  // "10" for an integer, "true" for a boolean: the quotes made YAML read a string.
  const quoted =
    typeof value === "string" &&
    errors.some((e) => e.keyword === "type") &&
    ((/^-?[0-9]+(\.[0-9]+)?$/.test(value) && /integer|number/.test(expected ?? "")) ||
      (/^(true|false)$/.test(value) && /boolean/.test(expected ?? "")))
      ? "; remove the quotes"
      : "";
  if (expected) return { message: `${shown} is not valid (expected ${expected}${quoted})` };
  const reasons = [...new Set(errors.map((e) => e.message ?? e.keyword))];
  return { message: `${shown} is not valid (expected a value that ${reasons.join("; ")})` };
}

interface SchemaBits {
  readonly type?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
}

/** What a schema without an `expected` annotation asks for, in words: "an integer 30-3600". */
function expectedFromSchema(schema: SchemaBits | undefined): string | undefined {
  if (!schema?.type) return undefined;
  const range = (unit: string) =>
    schema.minimum !== undefined && schema.maximum !== undefined
      ? `${unit} ${schema.minimum}-${schema.maximum}`
      : schema.minimum !== undefined
        ? `${unit} >= ${schema.minimum}`
        : schema.maximum !== undefined
          ? `${unit} <= ${schema.maximum}`
          : unit;
  switch (schema.type) {
    case "integer":
      return range("an integer");
    case "number":
      return range("a number");
    case "boolean":
      return "a boolean, true or false";
    case "string":
      return schema.pattern
        ? `a string matching the pattern ${schema.pattern}`
        : schema.minLength
          ? `a string of at least ${schema.minLength} character(s)`
          : "a string";
    case "array":
      return schema.maxItems !== undefined
        ? `a list of ${schema.minItems ?? 0}-${schema.maxItems} entries`
        : schema.minItems
          ? `a list of at least ${schema.minItems} entr${schema.minItems === 1 ? "y" : "ies"}`
          : "a list";
    case "object":
      return "a mapping of settings";
    default:
      return undefined;
  }
}

/**
 * Validates `value` against `schema` in place (ajv fills defaults), returning
 * every problem found. Errors on the same path are merged into one message.
 */
export function schemaIssues<T extends TSchema>(
  schema: T,
  value: unknown,
  root: string,
): { value: Static<T>; issues: ConfigIssue[] } {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  validate(value);
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of validate.errors ?? []) {
    const key =
      e.keyword === "required" || e.keyword === "additionalProperties"
        ? `${e.instancePath}#${JSON.stringify(e.params)}`
        : e.instancePath;
    byPath.set(key, [...(byPath.get(key) ?? []), e]);
  }
  const issues: ConfigIssue[] = [];
  for (const errors of byPath.values()) {
    const { extra, message } = messageFor(errors);
    const segs = segmentsOf(errors[0].instancePath);
    issues.push({ path: joinPath(root, extra ? [...segs, extra] : segs), message });
  }
  return { value: value as Static<T>, issues };
}
