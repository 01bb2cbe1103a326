/**
 * What the page's form is generated from: the catalog's one schema
 * (`CatalogEntrySchema`, the same object the CLI and the server validate
 * with), plus UI hints derived from it — never a second hand-written schema.
 *
 * The only addition: the known templates and datacenters become `examples`
 * (an annotation: the form offers them in a list; validation is unchanged).
 *
 * An entry's release fields carry no `default` on purpose (a default filled
 * into the entry would hide the template's); the effective default of each
 * field — the schema's, overridden by the template's — is shown as the
 * field's placeholder instead, per template.
 */
import * as fs from "fs";
import * as path from "path";
import { AppSpecSchema, CatalogEntrySchema, type Template } from "../catalog/schema";
import { deepMerge, DEFAULT_APPS_DIR, listTemplates, loadTemplate } from "../catalog/load";
import { PROJECT_DIR } from "../render";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** A plain JSON copy of the catalog's schema, the known names added as `examples`. */
export function formJsonSchema(schema: unknown, hints: { templates: string[]; datacenters: string[] }): Json {
  const out = JSON.parse(JSON.stringify(schema)) as Json;
  const props = out.properties as Json;
  (props.template as Json).examples = hints.templates;
  const dcItem = ((props.datacenters as Json).items as Json).properties as Json;
  (dcItem.name as Json).examples = hints.datacenters;
  return out;
}

/** The effective defaults of a template: the schema's, then the template's. */
export function effectiveDefaults(template: Template): Json {
  const collect = (schema: unknown): unknown => {
    if (!isObj(schema)) return undefined;
    if (schema.type === "object" && isObj(schema.properties)) {
      const o: Json = {};
      for (const [k, s] of Object.entries(schema.properties)) {
        const d = collect(s);
        if (d !== undefined) o[k] = d;
      }
      return Object.keys(o).length ? o : schema.default;
    }
    return schema.default;
  };
  return deepMerge(collect(JSON.parse(JSON.stringify(AppSpecSchema))), template.defaults);
}

/** uiSchema placeholders ("default: 2000") for every leaf that has an effective default. */
export function placeholders(defaults: Json): Json {
  const ui: Json = {};
  for (const [k, v] of Object.entries(defaults)) {
    if (isObj(v) && Object.keys(v).length) ui[k] = placeholders(v);
    else if (typeof v === "number" || typeof v === "string")
      ui[k] = { "ui:placeholder": `default: ${String(v)}` };
    else if (Array.isArray(v) && v.length) ui[k] = { "ui:description": `Default: ${JSON.stringify(v)}` };
  }
  return ui;
}

/** Datacenters this repository has a stack file for (render reads it). */
export function knownDatacenters(projectDir = PROJECT_DIR): string[] {
  return fs
    .readdirSync(projectDir)
    .map((f) => /^Pulumi\.([a-z0-9-]+)\.yaml$/.exec(f)?.[1])
    .filter((d): d is string => Boolean(d))
    .sort();
}

export interface FormDescription {
  readonly schema: Json;
  readonly templates: { name: string; description: string; placeholders: Json; defaults: Json }[];
  readonly datacenters: string[];
}

export function formDescription(appsDir = DEFAULT_APPS_DIR, projectDir = PROJECT_DIR): FormDescription {
  const templates = listTemplates(appsDir).map((name) => {
    const t = loadTemplate(name, appsDir);
    const defaults = effectiveDefaults(t);
    return { name, description: t.description, defaults, placeholders: placeholders(defaults) };
  });
  const datacenters = knownDatacenters(projectDir);
  return {
    schema: formJsonSchema(CatalogEntrySchema, { templates: templates.map((t) => t.name), datacenters }),
    templates,
    datacenters,
  };
}

/** Drops what an untouched form leaves behind (undefined, empty objects), so the entry stays partial. */
export function pruneEntry(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pruneEntry);
  if (!isObj(v)) return v;
  const out: Json = {};
  for (const [k, x] of Object.entries(v)) {
    const p = pruneEntry(x);
    if (p === undefined || p === null || p === "") continue;
    if (isObj(p) && Object.keys(p).length === 0) continue;
    out[k] = p;
  }
  return out;
}

export const appsDirOf = (dir?: string) => (dir ? path.resolve(dir) : DEFAULT_APPS_DIR);
