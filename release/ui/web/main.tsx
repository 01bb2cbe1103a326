/**
 * The release page: businesses and their state per datacenter, the catalog
 * entry as a form generated from the catalog's JSON Schema (served by
 * /api/form), render / preview / release / delete, live progress over
 * Server-Sent Events, and the history with rollback.
 *
 * The form validates as you type with the same schema the server checks
 * (ajv through react-jsonschema-form); the server's own answer — every
 * problem with its path, including the cross-field checks a schema cannot
 * express — is shown next to the field it names.
 */
import { Fragment, useCallback, useEffect, useMemo, useState, type ReactNode } from "react";
import { createRoot } from "react-dom/client";
import Form from "@rjsf/core";
import validator from "@rjsf/validator-ajv8";
import { canExpand } from "@rjsf/utils";
import type {
  ErrorSchema,
  IconButtonProps,
  ObjectFieldTemplateProps,
  RJSFSchema,
  RJSFValidationError,
  UiSchema,
} from "@rjsf/utils";
import "./style.css";

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

interface TemplateInfo {
  name: string;
  description: string;
  placeholders: Json;
  defaults: Json;
}
interface FormInfo {
  schema: RJSFSchema;
  templates: TemplateInfo[];
  datacenters: string[];
}
interface DcRow {
  dc: string;
  state: string;
  version?: string;
  lastResult?: string;
  lastBy?: string;
  lastAt?: string;
  busy?: string;
}
interface BusinessRow {
  business: string;
  template?: string;
  datacenters: DcRow[];
  error?: string;
}
interface FieldIssue {
  path: string;
  field: (string | number)[];
  dc?: string;
  message: string;
}
interface HistoryRow {
  update: number;
  kind: string;
  operation?: string;
  version?: string;
  params?: string;
  who?: string;
  startTime: string;
  seconds?: number;
  result: string;
  changes?: Record<string, number>;
  rollback: boolean;
}
/** The engine's events (release/engine.ts ReleaseEvent) plus the job's own. */
interface Ev {
  type: string;
  time: string;
  [k: string]: unknown;
}
/** A changed property in a preview (release/engine.ts PropertyChange). */
interface Change {
  path: string;
  kind: string;
  old?: string;
  new?: string;
}
interface JobInfo {
  id: string;
  kind: string;
  business: string;
  who: string;
  datacenters: string[];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

let csrfToken = "";
async function api<T>(method: "GET" | "POST", url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: method === "POST" ? { "content-type": "application/json", "x-csrf-token": csrfToken } : {},
    body: method === "POST" ? JSON.stringify(body ?? {}) : undefined,
    credentials: "same-origin",
  });
  const data = (await res.json().catch(() => ({ error: `${res.status} ${res.statusText}` }))) as Json;
  if (!res.ok)
    throw new ApiError(res.status, String(data.error ?? res.statusText), (data.issues as FieldIssue[]) ?? []);
  return data as T;
}

/** Server problems → the form's error tree, so each shows next to its field. */
function errorTree(issues: FieldIssue[]): ErrorSchema {
  const root: Json = {};
  for (const i of issues) {
    let node = root;
    for (const seg of i.field) {
      const k = String(seg);
      if (!isObj(node[k])) node[k] = {};
      node = node[k] as Json;
    }
    const errs = (node.__errors as string[]) ?? [];
    errs.push(`${i.dc ? `(for ${i.dc}) ` : ""}${i.message}`);
    node.__errors = errs;
  }
  return root as ErrorSchema;
}

/** The schema node an ajv error points at (its schemaPath without the keyword). */
function schemaAt(schema: RJSFSchema, schemaPath: string | undefined): Json | undefined {
  if (!schemaPath) return undefined;
  let node: unknown = schema;
  for (const seg of schemaPath.replace(/^#\//, "").split("/").slice(0, -1)) {
    if (!isObj(node) && !Array.isArray(node)) return undefined;
    node = (node as Json)[decodeURIComponent(seg.replace(/~1/g, "/").replace(/~0/g, "~"))];
  }
  return isObj(node) ? node : undefined;
}

function ObjectTemplate(p: ObjectFieldTemplateProps) {
  const depth = p.fieldPathId.path.length;
  const expandable = canExpand(p.schema, p.uiSchema, p.formData);
  const body = (
    <>
      {p.description ? <div className="desc">{p.description}</div> : null}
      {p.properties.filter((x) => !x.hidden).map((x) => x.content)}
      {expandable ? (
        <button type="button" className="small" onClick={p.onAddProperty} disabled={p.disabled || p.readonly}>
          + add to {p.title}
        </button>
      ) : null}
    </>
  );
  if (depth === 0) return <div className="root-object">{body}</div>;
  const hasErrors = p.errorSchema && Object.keys(p.errorSchema).length > 0;
  return (
    // Closed unless it has an error or is a list item (a datacenter): the
    // form stays short, and a problem is never hidden.
    <details
      className="group"
      open={hasErrors || typeof p.fieldPathId.path[depth - 1] === "number" ? true : undefined}
    >
      <summary>
        {p.title}
        {hasErrors ? <span className="badge bad">!</span> : null}
      </summary>
      {body}
    </details>
  );
}

/** Text buttons: the form library's default ones expect an icon font this page does not ship. */
const textButton =
  (text: string, cls = "small") =>
  ({ id, onClick, disabled, title }: IconButtonProps) => (
    <button type="button" id={id} className={cls} onClick={onClick} disabled={disabled} title={title}>
      {text}
    </button>
  );
const buttons = {
  AddButton: textButton("+ add"),
  RemoveButton: textButton("remove", "small danger"),
  MoveUpButton: textButton("↑"),
  MoveDownButton: textButton("↓"),
  CopyButton: textButton("copy"),
  ClearButton: textButton("clear"),
};

function uiSchemaFor(t: TemplateInfo | undefined, datacenters: string[]): UiSchema {
  const ph = (t?.placeholders ?? {}) as UiSchema;
  return {
    ...ph,
    "ui:order": ["business", "template", "image", "version", "datacenters", "*"],
    version: { ...(ph.version as object), "ui:placeholder": "e.g. 1.4.2 or sha256:…" },
    datacenters: {
      items: {
        name: { "ui:placeholder": datacenters.join(" | ") },
        overrides: ph,
      },
    },
    "ui:submitButtonOptions": { norender: true },
  };
}

function DcCard({ dc, events }: { dc: string; events: Ev[] }) {
  const start = events.find((e) => e.type === "dc-start");
  const done = events.find((e) => e.type === "dc-done");
  const resources = new Map<string, Ev>();
  for (const e of events.filter((x) => x.type === "resource"))
    resources.set(`${String(e.resourceType)} ${String(e.name)}`, e);
  const policies = events.filter((e) => e.type === "policy");
  const diags = events.filter((e) => e.type === "diagnostic");
  const status = done ? String(done.status) : start ? "running" : "waiting";
  const cls =
    status === "succeeded"
      ? "ok"
      : status === "running" || status === "waiting"
        ? "run"
        : status === "not-started" || status === "declined"
          ? "skip"
          : "bad";
  return (
    <div className={`dc-card ${cls}`} data-dc={dc} data-status={status}>
      <h4>
        {dc}
        {start?.canary ? <span className="badge">canary</span> : null}
        <span className={`badge ${cls}`}>{status}</span>
        {start?.version ? <span className="muted"> version {String(start.version)}</span> : null}
        {done ? <span className="muted"> in {String(done.seconds)} s</span> : null}
      </h4>
      {resources.size ? (
        <table className="resources">
          <tbody>
            {[...resources.values()].map((r) => (
              <Fragment key={`${String(r.resourceType)} ${String(r.name)}`}>
                <tr className={`phase-${String(r.phase)}`}>
                  <td className={`op op-${String(r.op)}`}>{String(r.op)}</td>
                  <td>{String(r.resourceType)}</td>
                  <td>{String(r.name)}</td>
                  <td className="muted">{Array.isArray(r.diffs) ? r.diffs.join(", ") : ""}</td>
                  <td>{r.phase === "start" ? "…" : r.phase === "failed" ? "✗ failed" : "✓"}</td>
                </tr>
                {Array.isArray(r.changes)
                  ? (r.changes as Change[]).map((c) => (
                      <tr key={c.path} className="change">
                        <td />
                        <td colSpan={4}>
                          <span className="mono">{c.path}</span>{" "}
                          <span className="val-old">{c.old ?? "∅"}</span> →{" "}
                          <span className="val-new">{c.new ?? "∅"}</span>
                          {/replace/.test(c.kind) ? <span className="badge bad">replaces</span> : null}
                        </td>
                      </tr>
                    ))
                  : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : done?.status === "succeeded" ? (
        <p className="muted">no resource changes</p>
      ) : null}
      {policies.map((p, i) => (
        <p key={i} className={p.level === "mandatory" ? "error" : "warn"}>
          policy {String(p.level)} {String(p.policy)}: {String(p.message)}
        </p>
      ))}
      {diags.map((d, i) => (
        <pre key={i} className={d.severity === "error" ? "error" : "warn"}>
          {String(d.message)}
        </pre>
      ))}
      {done?.error ? (
        <p className="error stop-reason">
          {status === "not-started" ? "" : `stopped here: `}
          {String(done.error)}
        </p>
      ) : null}
    </div>
  );
}

function Progress({ job, events }: { job: JobInfo; events: Ev[] }) {
  const end = events.find((e) => e.type === "job-end");
  const errs = events.filter((e) => e.type === "job-error");
  const startEv = events.find((e) => e.type === "release-start");
  const dcs = (startEv?.datacenters as string[]) ?? job.datacenters;
  return (
    <section
      className="progress"
      data-job={job.kind}
      data-done={end ? (end.ok ? "ok" : "failed") : "running"}
    >
      <h3>
        {job.kind} {job.business} by {job.who}: {end ? (end.ok ? "done" : "stopped") : "running…"}
      </h3>
      {errs.map((e, i) => (
        <pre key={i} className="error engine-error">
          {String(e.message)}
        </pre>
      ))}
      {dcs.map((dc) => (
        <DcCard key={dc} dc={dc} events={events.filter((e) => e.dc === dc)} />
      ))}
    </section>
  );
}

function History({
  business,
  rows,
  onRollback,
  busy,
}: {
  business: string;
  rows: Record<string, HistoryRow[]>;
  onRollback: (dc: string, version: string) => void;
  busy: boolean;
}) {
  return (
    <section className="history">
      <h3>History of {business}</h3>
      {Object.entries(rows).map(([dc, entries]) => {
        const current = entries.find((h) => h.kind === "update" && h.result === "succeeded");
        return (
          <div key={dc} data-dc={dc}>
            <h4>{dc}</h4>
            {entries.length === 0 ? <p className="muted">never released</p> : null}
            {entries.length ? (
              <table>
                <thead>
                  <tr>
                    <th>#</th>
                    <th>operation</th>
                    <th>version</th>
                    <th>who</th>
                    <th>when</th>
                    <th>result</th>
                    <th>duration</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {entries.map((h) => (
                    <tr key={h.update} className={`result-${h.result}`}>
                      <td>{h.update}</td>
                      <td>{h.operation ?? h.kind}</td>
                      <td title={h.params ? `parameters digest ${h.params}` : undefined}>
                        {h.version ?? "–"}
                      </td>
                      <td>{h.who ?? "?"}</td>
                      <td title={h.startTime}>{h.startTime.replace("T", " ").slice(0, 16)}</td>
                      <td>{h.result}</td>
                      <td>{h.seconds !== undefined ? `${h.seconds} s` : ""}</td>
                      <td>
                        {h.rollback && h.result === "succeeded" && h.version && h !== current ? (
                          <button
                            className="small"
                            disabled={busy}
                            onClick={() => onRollback(dc, h.version as string)}
                          >
                            roll back to {h.version}
                          </button>
                        ) : null}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </div>
        );
      })}
    </section>
  );
}

function App() {
  const [user, setUser] = useState("");
  const [form, setForm] = useState<FormInfo>();
  const [list, setList] = useState<BusinessRow[]>([]);
  const [listError, setListError] = useState("");
  const [data, setData] = useState<Json>({});
  const [existing, setExisting] = useState(false);
  const [issues, setIssues] = useState<FieldIssue[]>([]);
  const [message, setMessage] = useState<{ kind: "error" | "info"; text: string }>();
  const [rendered, setRendered] = useState<Record<string, string>>();
  const [job, setJob] = useState<JobInfo>();
  const [events, setEvents] = useState<Ev[]>([]);
  const [history, setHistory] = useState<Record<string, HistoryRow[]>>();
  const [pending, setPending] = useState(false);
  const [newTemplate, setNewTemplate] = useState("jetty-web");

  const business = typeof data.business === "string" ? data.business : "";
  const running = Boolean(job) && !events.some((e) => e.type === "job-end");

  // The list reads every datacenter's history (seconds): only the newest
  // request's answer is shown, so a slow old one cannot overwrite a fresh one.
  const [listSeq] = useState({ n: 0 });
  const refresh = useCallback(async () => {
    const mine = ++listSeq.n;
    try {
      const rows = await api<BusinessRow[]>("GET", "/api/businesses");
      if (mine !== listSeq.n) return;
      setList(rows);
      setListError("");
    } catch (e) {
      if (mine === listSeq.n) setListError((e as Error).message);
    }
  }, [listSeq]);
  const loadHistory = useCallback(async (b: string) => {
    try {
      setHistory(
        await api<Record<string, HistoryRow[]>>("GET", `/api/businesses/${encodeURIComponent(b)}/history`),
      );
    } catch (e) {
      setMessage({ kind: "error", text: (e as Error).message });
    }
  }, []);

  useEffect(() => {
    void (async () => {
      const s = await api<{ user: string; csrfToken: string }>("GET", "/api/session");
      csrfToken = s.csrfToken;
      setUser(s.user);
      setForm(await api<FormInfo>("GET", "/api/form"));
      await refresh();
    })().catch((e: Error) => setMessage({ kind: "error", text: e.message }));
  }, [refresh]);

  const template = form?.templates.find((t) => t.name === data.template);
  const uiSchema = useMemo(() => uiSchemaFor(template, form?.datacenters ?? []), [template, form]);
  const extraErrors = useMemo(() => errorTree(issues), [issues]);

  const transformErrors = useCallback(
    (errors: RJSFValidationError[]) =>
      errors.map((e) => {
        const node = form ? schemaAt(form.schema, e.schemaPath) : undefined;
        const expected = typeof node?.expected === "string" ? node.expected : undefined;
        return expected && e.name !== "required" ? { ...e, message: `expected ${expected}` } : e;
      }),
    [form],
  );

  const follow = (j: JobInfo) => {
    setJob(j);
    setEvents([]);
    setRendered(undefined);
    const src = new EventSource(`/api/jobs/${j.id}/events`);
    src.onmessage = (m) => {
      const e = JSON.parse(m.data as string) as Ev;
      setEvents((prev) => [...prev, e]);
      if (e.type === "job-end") {
        src.close();
        void refresh();
        if (j.kind !== "preview") void loadHistory(j.business);
      }
    };
  };

  /** Runs an action; `fresh` clears the last result at once, so what shows next is this action's. */
  const act = async (what: () => Promise<void>, fresh = true) => {
    setPending(true);
    setMessage(undefined);
    if (fresh) {
      setJob(undefined);
      setRendered(undefined);
    }
    try {
      await what();
      setIssues([]);
    } catch (e) {
      const err = e as ApiError;
      setIssues(err.issues ?? []);
      setMessage({ kind: "error", text: err.message });
    } finally {
      setPending(false);
    }
  };

  const open = (b: string) =>
    act(async () => {
      const r = await api<{ entry: Json; jobs: (JobInfo & { done: boolean })[] }>(
        "GET",
        `/api/businesses/${encodeURIComponent(b)}`,
      );
      setData(r.entry);
      setExisting(true);
      setRendered(undefined);
      setJob(undefined);
      const live = r.jobs.find((j) => !j.done);
      if (live) follow(live);
      await loadHistory(b);
    });
  const startNew = () => {
    setData({ template: newTemplate, datacenters: [{}] });
    setExisting(false);
    setHistory(undefined);
    setJob(undefined);
    setRendered(undefined);
    setIssues([]);
  };

  const doRender = () =>
    act(async () => {
      const r = await api<{ yaml: Record<string, string> }>("POST", "/api/render", { entry: data });
      setJob(undefined);
      setRendered(r.yaml);
    });
  const doPreview = () =>
    act(async () => follow((await api<{ job: JobInfo }>("POST", "/api/preview", { entry: data })).job));
  const doUp = () =>
    act(async () => {
      const r = await api<{ job: JobInfo }>("POST", `/api/businesses/${encodeURIComponent(business)}/up`, {
        entry: data,
      });
      // The entry is in the catalog now: from here on this is an update.
      setExisting(true);
      follow(r.job);
    });
  const doDestroy = () => {
    if (!window.confirm(`Delete ${business} from every datacenter it targets? (The history is kept.)`))
      return;
    void act(async () =>
      follow(
        (await api<{ job: JobInfo }>("POST", `/api/businesses/${encodeURIComponent(business)}/destroy`, {}))
          .job,
      ),
    );
  };
  const doRollback = (dc: string, version: string) =>
    act(async () =>
      follow(
        (
          await api<{ job: JobInfo }>("POST", `/api/businesses/${encodeURIComponent(business)}/rollback`, {
            datacenters: [dc],
            version,
          })
        ).job,
      ),
    );

  let output: ReactNode = null;
  if (rendered)
    output = (
      <section className="rendered">
        <h3>Rendered objects</h3>
        {Object.entries(rendered).map(([dc, y]) => (
          <details key={dc} open data-dc={dc}>
            <summary>{dc}</summary>
            <pre className="yaml">{y}</pre>
          </details>
        ))}
      </section>
    );
  else if (job) output = <Progress job={job} events={events} />;

  return (
    <div className="app">
      <header>
        <h1>private-cloud releases</h1>
        <span className="user">signed in as {user || "…"}</span>
      </header>
      <main>
        <aside>
          <h2>Businesses</h2>
          {listError ? <pre className="error">{listError}</pre> : null}
          <table className="businesses">
            <thead>
              <tr>
                <th>business</th>
                <th>datacenter</th>
                <th>version</th>
                <th>state</th>
                <th>last result</th>
              </tr>
            </thead>
            <tbody>
              {list.flatMap((b) =>
                (b.datacenters.length ? b.datacenters : [undefined]).map((d, i) => (
                  <tr key={`${b.business}-${d?.dc ?? ""}`} data-business={b.business} data-dc={d?.dc}>
                    <td>
                      {i === 0 ? (
                        <a href="#" onClick={(ev) => (ev.preventDefault(), void open(b.business))}>
                          {b.business}
                        </a>
                      ) : null}
                    </td>
                    {d ? (
                      <>
                        <td>{d.dc}</td>
                        <td>{d.version ?? "–"}</td>
                        <td title={d.busy}>
                          {d.busy ? `busy, ${d.busy.replace(/ since .*/, ")")}` : d.state}
                        </td>
                        <td title={d.lastAt}>
                          {d.lastResult ?? ""}
                          {d.lastBy ? ` by ${d.lastBy}` : ""}
                        </td>
                      </>
                    ) : (
                      <td colSpan={4} className="error">
                        {b.error}
                      </td>
                    )}
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <div className="new">
            <label>
              new business from template{" "}
              <select value={newTemplate} onChange={(e) => setNewTemplate(e.target.value)} id="new-template">
                {form?.templates.map((t) => (
                  <option key={t.name} value={t.name} title={t.description}>
                    {t.name}
                  </option>
                ))}
              </select>
            </label>{" "}
            <button onClick={startNew} id="new-business">
              start
            </button>
            <p className="muted">{form?.templates.find((t) => t.name === newTemplate)?.description}</p>
          </div>
        </aside>
        <section className="editor">
          {form && data.template !== undefined ? (
            <>
              <h2>{existing ? `Catalog entry: ${business}` : "New business"}</h2>
              {template ? (
                <p className="muted">
                  Template {template.name}: {template.description}. Placeholders show its defaults.
                </p>
              ) : null}
              <Form
                schema={form.schema}
                uiSchema={uiSchema}
                formData={data}
                validator={validator}
                liveValidate="onChange"
                showErrorList={false}
                noHtml5Validate
                extraErrors={extraErrors}
                transformErrors={transformErrors}
                templates={{ ObjectFieldTemplate: ObjectTemplate, ButtonTemplates: buttons }}
                // An entry is partial (the template fills the rest): the form
                // must not invent list items or objects the user did not write.
                experimental_defaultFormStateBehavior={{
                  arrayMinItems: { populate: "never" },
                  emptyObjectFields: "skipDefaults",
                }}
                onChange={(e) => setData(e.formData as Json)}
              />
              <div className="actions">
                <button onClick={doRender} disabled={pending} id="render">
                  Render
                </button>
                <button onClick={doPreview} disabled={pending || running} id="preview">
                  Preview
                </button>
                <button onClick={doUp} disabled={pending || running} id="release" className="primary">
                  {existing ? "Release (update)" : "Release (create)"}
                </button>
                {existing ? (
                  <button onClick={doDestroy} disabled={pending || running} id="destroy" className="danger">
                    Delete
                  </button>
                ) : null}
              </div>
            </>
          ) : (
            <p className="muted">Pick a business on the left, or start a new one from a template.</p>
          )}
        </section>
        <section className="results">
          {message ? <pre className={`message ${message.kind}`}>{message.text}</pre> : null}
          {output}
          {history && business ? (
            <History business={business} rows={history} onRollback={doRollback} busy={pending || running} />
          ) : null}
          {!message && !output && !history ? (
            <p className="muted">
              Render, preview and release results, live progress and the history show here.
            </p>
          ) : null}
        </section>
      </main>
    </div>
  );
}

createRoot(document.getElementById("root") as HTMLElement).render(<App />);
