// ferry's web console: a hash-routed single page (Preact + htm) whose every call is an AWS
// API call signed by the SDK with the user's own credentials.
import { render } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { html, ErrorBox, useLoad } from "./ui.js";
import { session, signIn, switchRole, whoami } from "./aws.js";
import { OrgPage, AccountPage } from "./org.js";
import { PipelinesPage, PipelinePage } from "./pipelines.js";
import { TrailPage } from "./trail.js";
import { StacksPage, StackPage, StackSetPage } from "./stacks.js";
import { MessagingPage, QueuePage } from "./messaging.js";
import { FunctionsPage, FunctionPage, ProjectPage, BuildPage } from "./builds.js";
import { IamPage, PrincipalPage, PolicyPage, SimulatorPage } from "./iam.js";

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, query] = raw.split("?");
  return { parts: path.split("/").filter(Boolean).map(decodeURIComponent),
           query: new URLSearchParams(query || "") };
}

function useRoute() {
  const [route, setRoute] = useState(parseHash());
  useEffect(() => {
    const on = () => setRoute(parseHash());
    addEventListener("hashchange", on);
    return () => removeEventListener("hashchange", on);
  }, []);
  return route;
}

const NAV = [
  ["org", "Organization"], ["pipelines", "Pipelines"], ["stacks", "Stacks"],
  ["messaging", "Messaging"], ["functions", "Functions and builds"], ["iam", "IAM"],
  ["trail", "Audit trail"],
];

function SignIn({ onDone }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(ev) {
    ev.preventDefault();
    const f = new FormData(ev.target);
    const c = { accessKeyId: f.get("akid").trim(), secretAccessKey: f.get("secret").trim(),
                sessionToken: f.get("token").trim() || undefined,
                region: f.get("region").trim() || "us-east-1" };
    setBusy(true);
    try {
      await signIn(c);
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<main class="signin" id="main">
    <h1>Sign in to ferry</h1>
    <p class="muted">As an IAM principal: its access key pair. The keys stay in this tab
      (session storage) and sign each request; ferry's policies decide what you see.</p>
    <form onSubmit=${submit} aria-label="Sign in">
      <label>Access key ID<input name="akid" required autocomplete="username" autofocus /></label>
      <label>Secret access key<input name="secret" type="password" required autocomplete="current-password" /></label>
      <label>Session token <span class="muted">(optional)</span><input name="token" /></label>
      <label>Region<input name="region" value=${session.region()} /></label>
      <button type="submit" disabled=${busy}>Sign in</button>
    </form>
    <${ErrorBox} error=${error} />
  </main>`;
}

function SwitchRole({ query, onDone }) {
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  async function submit(ev) {
    ev.preventDefault();
    const f = new FormData(ev.target);
    setBusy(true);
    try {
      await switchRole(f.get("account").trim(), f.get("role").trim(), f.get("display").trim());
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return html`<section class="panel narrow">
    <h1>Switch role</h1>
    <p class="muted">Assume a role in another account with your signed-in credentials
      (sts:AssumeRole: the role's trust policy and your own policies decide).</p>
    <form onSubmit=${submit} aria-label="Switch role">
      <label>Account<input name="account" required pattern="[0-9]{12}" value=${query.get("account") || ""} inputmode="numeric" /></label>
      <label>Role<input name="role" required value=${query.get("role") || "OrganizationAccountAccessRole"} /></label>
      <label>Display name <span class="muted">(optional)</span><input name="display" /></label>
      <button type="submit" disabled=${busy}>Switch role</button>
    </form>
    <${ErrorBox} error=${error} />
    ${session.recent().length ? html`<h2>Role history</h2>
      <ul class="plain">${session.recent().map((r) => html`<li>
        <a href=${`#/switch-role?account=${r.account}&role=${encodeURIComponent(r.roleName)}`}>${r.display}</a>
      </li>`)}</ul>` : null}
  </section>`;
}

function Identity({ id, onChange }) {
  const role = session.role();
  const [region, setRegion] = useState(session.region());
  function changeRegion(ev) {
    ev.preventDefault();
    session.setRegion(region.trim() || "us-east-1");
    onChange();
  }
  return html`<div class="identity">
    <span class="who" title=${id?.Arn || ""}>
      ${role ? html`<span class="role-badge">${role.display}</span>` : null}
      <span class="arn" data-testid="identity">${id ? id.Arn : "…"}</span>
      ${id ? html` <span class="muted">(${id.Account})</span>` : null}
    </span>
    <form class="region" onSubmit=${changeRegion}>
      <label>Region <input size="12" value=${region} onInput=${(e) => setRegion(e.target.value)} /></label>
    </form>
    <a href="#/switch-role">Switch role</a>
    ${role ? html`<button type="button" class="link" onClick=${() => { session.leaveRole(); onChange(); }}>Back to ${session.base()?.accessKeyId}</button>` : null}
    <button type="button" onClick=${() => { session.signOut(); location.hash = ""; onChange(); }}>Sign out</button>
  </div>`;
}

function Page({ route, onChange }) {
  const [a, b] = route.parts;
  switch (a) {
    case "switch-role":
      return html`<${SwitchRole} query=${route.query} onDone=${() => { location.hash = "#/org"; onChange(); }} />`;
    case "org":
      return b === "account" ? html`<${AccountPage} id=${route.parts[2]} />` : html`<${OrgPage} />`;
    case "pipelines":
      return b ? html`<${PipelinePage} name=${b} query=${route.query} />` : html`<${PipelinesPage} />`;
    case "stacks":
      return b ? html`<${StackPage} name=${b} />` : html`<${StacksPage} />`;
    case "stacksets":
      return html`<${StackSetPage} name=${b} />`;
    case "messaging":
      return b === "queue" ? html`<${QueuePage} name=${route.parts[2]} />` : html`<${MessagingPage} />`;
    case "functions":
      return b ? html`<${FunctionPage} name=${b} />` : html`<${FunctionsPage} />`;
    case "builds":
      return route.parts[2] ? html`<${BuildPage} id=${route.parts[2]} />`
        : b ? html`<${ProjectPage} name=${b} />` : html`<${FunctionsPage} />`;
    case "iam":
      if (b === "simulate") return html`<${SimulatorPage} query=${route.query} />`;
      if (b === "policy") return html`<${PolicyPage} name=${route.parts[2]} />`;
      return b ? html`<${PrincipalPage} kind=${b} name=${route.parts[2]} />` : html`<${IamPage} />`;
    case "trail":
      return html`<${TrailPage} query=${route.query} />`;
    default:
      return html`<${Home} />`;
  }
}

function Home() {
  return html`<section class="panel">
    <h1>ferry console</h1>
    <p>Pick a page. Each shows what your credentials may read, refreshing while something runs.</p>
    <ul class="tiles">${NAV.map(([k, t]) => html`<li><a href=${"#/" + k}>${t}</a></li>`)}</ul>
  </section>`;
}

function Shell({ onChange, epoch }) {
  const route = useRoute();
  const who = useLoad(whoami, [epoch]);
  // a new page takes the focus, as a page load would (keyboard and screen reader users
  // start at its content)
  const first = useRef(true);
  useEffect(() => {
    if (first.current) first.current = false;
    else document.getElementById("main")?.focus();
  }, [location.hash]);
  return html`<div class="shell">
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById("main").focus(); }}>Skip to content</a>
    <header class="top">
      <a class="brand" href="#/">ferry</a>
      <nav aria-label="Pages"><ul>
        ${NAV.map(([k, t]) => html`<li><a href=${"#/" + k} aria-current=${(route.parts[0] === "builds" ? "functions" : route.parts[0] === "stacksets" ? "stacks" : route.parts[0]) === k ? "page" : undefined}>${t}</a></li>`)}
      </ul></nav>
      <${Identity} id=${who.data} onChange=${onChange} />
    </header>
    <main id="main" tabindex="-1">
      <${ErrorBox} error=${who.error} />
      <${Page} key=${epoch + location.hash} route=${route} onChange=${onChange} />
    </main>
  </div>`;
}

function App() {
  const [epoch, setEpoch] = useState(0);
  const bump = () => setEpoch((n) => n + 1);
  if (!session.base()) return html`<${SignIn} onDone=${bump} />`;
  return html`<${Shell} epoch=${epoch} onChange=${bump} />`;
}

const root = document.getElementById("app");
root.textContent = ""; // the "Loading" line of index.html
render(html`<${App} />`, root);
// the first render is done: the page answers input from here (the browser tests read it)
performance.mark("ferry-console-interactive");
