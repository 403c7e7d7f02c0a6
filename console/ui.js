// Shared pieces of the pages: htm bound to Preact (no JSX build step), data loading that
// refreshes while something runs, and AWS-shaped errors.
import { h } from "preact";
import { useEffect, useRef, useState, useCallback } from "preact/hooks";
import htm from "htm";
import { errorText } from "./aws.js";

export const html = htm.bind(h);
export const REFRESH_MS = 2000;

// Loads load() now and whenever deps change; again every REFRESH_MS while live(data) says
// something is running. Returns {data, error, loading, reload}.
export function useLoad(load, deps, live) {
  const [state, set] = useState({ data: null, error: null, loading: true });
  const gen = useRef(0);
  const run = useCallback(async () => {
    const mine = ++gen.current;
    try {
      const data = await load();
      if (mine === gen.current) set({ data, error: null, loading: false });
    } catch (error) {
      if (mine === gen.current) set((s) => ({ data: s.data, error, loading: false }));
    }
  }, deps);
  useEffect(() => {
    set({ data: null, error: null, loading: true });
    run();
    return () => { gen.current++; };
  }, [run]);
  const running = !!(state.data && live && live(state.data));
  useEffect(() => {
    if (!running) return undefined;
    const t = setTimeout(run, REFRESH_MS);
    return () => clearTimeout(t);
  }, [running, state]);
  return { ...state, reload: run };
}

export function ErrorBox({ error }) {
  if (!error) return null;
  const e = errorText(error);
  return html`<div class="error" role="alert">
    <strong class="code">${e.code}</strong>${e.status ? html` <span class="muted">(HTTP ${e.status})</span>` : null}
    <p class="message">${e.message}</p>
  </div>`;
}

export function Loading({ what }) {
  return html`<p class="muted" aria-live="polite">Loading ${what || ""}…</p>`;
}

const STATUS_CLASS = {
  succeeded: "ok", success: "ok", create_complete: "ok", update_complete: "ok", active: "ok",
  inprogress: "run", in_progress: "run", running: "run",
  failed: "bad", failure: "bad", abandoned: "bad", stopped: "warn", stopping: "warn",
  superseded: "muted", cancelled: "muted", current: "ok", outdated: "warn", inoperable: "bad",
  completed: "ok", queued: "run", fault: "bad", timed_out: "bad",
};
export function statusClass(s) {
  const k = String(s || "").toLowerCase();
  if (STATUS_CLASS[k]) return STATUS_CLASS[k];
  if (k.endsWith("_in_progress")) return "run";
  if (k.endsWith("_failed") || k.includes("rollback")) return "bad";
  if (k.endsWith("_complete")) return "ok";
  return "muted";
}
export function Status({ value }) {
  if (!value) return html`<span class="status muted">—</span>`;
  return html`<span class=${"status " + statusClass(value)}>${value}</span>`;
}

export function when(t) {
  if (!t) return "";
  const d = t instanceof Date ? t : new Date(t);
  return isNaN(d) ? String(t) : d.toLocaleString();
}

// Every page of a paginated call: fetch(token) returns [items, nextToken].
export async function all(fetch, max = 20) {
  let out = [], token;
  for (let i = 0; i < max; i++) {
    const [items, next] = await fetch(token);
    out = out.concat(items || []);
    if (!next) break;
    token = next;
  }
  return out;
}

export function Section({ title, children, actions }) {
  return html`<section class="panel">
    <header class="panel-head"><h2>${title}</h2>${actions ? html`<div class="actions">${actions}</div>` : null}</header>
    ${children}
  </section>`;
}

// A button's call: run(...args) calls fn, keeping busy while it runs and the error it
// threw (shown with ErrorBox) until the next run. Returns fn's result, or undefined.
export function useAction(fn) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  async function run(...args) {
    setBusy(true);
    setError(null);
    try {
      return await fn(...args);
    } catch (e) {
      setError(e);
      return undefined;
    } finally {
      setBusy(false);
    }
  }
  return { run, busy, error };
}

// A policy document as stored by IAM (URL-encoded JSON), pretty-printed.
export function policyText(doc) {
  if (!doc) return "";
  let t = typeof doc === "string" ? doc : JSON.stringify(doc);
  try { t = decodeURIComponent(t); } catch { /* already plain */ }
  try { return JSON.stringify(JSON.parse(t), null, 2); } catch { return t; }
}

// The head of a page about one thing: its title, Refresh (r.reload) after any other actions,
// the way back, r's error and loading line, then the children (its facts).
export function Detail({ title, back, backLabel, r, what, actions, children }) {
  return html`<${Section} title=${title} actions=${html`${actions || null}<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <p><a href=${back}>← ${backLabel}</a></p>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what=${what} />` : null}
    ${children}
  <//>`;
}
