// Functions and builds: Lambda functions with their recent invocations and logs, CodeBuild
// projects with their builds, a build's phases and its log (live while it runs).
import { LambdaClient, ListFunctionsCommand, GetFunctionCommand } from "@aws-sdk/client-lambda";
import {
  CodeBuildClient, ListProjectsCommand, BatchGetProjectsCommand, ListBuildsForProjectCommand,
  BatchGetBuildsCommand,
} from "@aws-sdk/client-codebuild";
import { html, useLoad, ErrorBox, Loading, Section, Detail, Status, all, when } from "./ui.js";
import { send } from "./aws.js";
import { LogTail, Invocation, invocations } from "./logs.js";

const cb = (cmd) => send(CodeBuildClient, cmd);
const lam = (cmd) => send(LambdaClient, cmd);
const enc = encodeURIComponent;
export const buildHref = (id) => `#/builds/${enc(id.split(":")[0])}/${enc(id)}`;

async function loadProjects() {
  const names = await all(async (t) => {
    const r = await cb(new ListProjectsCommand({ nextToken: t, sortBy: "NAME" }));
    return [r.projects, r.nextToken];
  });
  const out = [];
  for (let i = 0; i < names.length; i += 100) {
    const [p, ids] = await Promise.all([
      cb(new BatchGetProjectsCommand({ names: names.slice(i, i + 100) })),
      Promise.all(names.slice(i, i + 100).map((n) => cb(new ListBuildsForProjectCommand({ projectName: n, sortOrder: "DESCENDING" })))),
    ]);
    const last = ids.map((r) => (r.ids || [])[0]).filter(Boolean);
    const builds = last.length ? (await cb(new BatchGetBuildsCommand({ ids: last }))).builds || [] : [];
    for (const proj of p.projects || [])
      out.push({ ...proj, last: builds.find((b) => b.projectName === proj.name) });
  }
  return out;
}

function Functions() {
  const r = useLoad(() => all(async (t) => {
    const o = await lam(new ListFunctionsCommand({ Marker: t }));
    return [o.Functions, o.NextMarker];
  }), []);
  return html`<${Section} title="Lambda functions" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="functions" />` : null}
    ${r.data && !r.data.length ? html`<p class="muted">No functions in this account and region.</p>` : null}
    ${r.data?.length ? html`<table>
      <thead><tr><th scope="col">Function</th><th scope="col">Runtime</th><th scope="col">State</th><th scope="col">Last modified</th></tr></thead>
      <tbody>${r.data.map((f) => html`<tr>
        <th scope="row"><a href=${"#/functions/" + enc(f.FunctionName)}>${f.FunctionName}</a>
          ${f.Description ? html`<div class="muted small">${f.Description}</div>` : null}</th>
        <td>${f.Runtime || f.PackageType}</td><td><${Status} value=${f.State || "Active"} /></td><td>${when(f.LastModified)}</td>
      </tr>`)}</tbody></table>` : null}
  <//>`;
}

function Projects() {
  const r = useLoad(loadProjects, [], (d) => d.some((p) => p.last && !p.last.buildComplete));
  return html`<${Section} title="CodeBuild projects" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="projects" />` : null}
    ${r.data && !r.data.length ? html`<p class="muted">No build projects in this account and region.</p>` : null}
    ${r.data?.length ? html`<table>
      <thead><tr><th scope="col">Project</th><th scope="col">Source</th><th scope="col">Latest build</th><th scope="col">Started</th></tr></thead>
      <tbody>${r.data.map((p) => html`<tr>
        <th scope="row"><a href=${"#/builds/" + enc(p.name)}>${p.name}</a></th>
        <td>${p.source?.type}</td>
        <td>${p.last ? html`<a href=${buildHref(p.last.id)}><${Status} value=${p.last.buildStatus} /> #${p.last.buildNumber}</a>` : html`<span class="muted">no builds</span>`}</td>
        <td>${when(p.last?.startTime)}</td>
      </tr>`)}</tbody></table>` : null}
  <//>`;
}

export function FunctionsPage() {
  return html`<div><${Functions} /><${Projects} /></div>`;
}

export function FunctionPage({ name }) {
  const f = useLoad(() => lam(new GetFunctionCommand({ FunctionName: name })), [name]);
  const inv = useLoad(() => invocations(name), [name], (d) => d.some((x) => !x.report));
  const c = f.data?.Configuration;
  return html`<div>
    <${Detail} title=${"Function " + name} back="#/functions" backLabel="Functions and builds"
      r=${{ ...f, reload: () => { f.reload(); inv.reload(); } }} what="the function">
      ${c ? html`<dl class="facts">
        <dt>ARN</dt><dd class="mono small">${c.FunctionArn}</dd>
        <dt>Runtime</dt><dd>${c.Runtime} · ${c.Handler} · ${c.MemorySize} MB · ${c.Timeout} s</dd>
        <dt>Role</dt><dd class="mono small">${c.Role}</dd>
        <dt>State</dt><dd><${Status} value=${c.State || "Active"} /> ${c.LastUpdateStatus || ""}</dd>
      </dl>` : null}
    <//>
    <${Section} title="Recent invocations">
      <p class="muted small">From the function's log group <span class="mono">/aws/lambda/${name}</span> (its five newest streams).</p>
      <${ErrorBox} error=${inv.error} />
      ${inv.loading ? html`<${Loading} what="invocations" />` : null}
      ${inv.data && !inv.data.length ? html`<p class="muted">No invocations logged.</p>` : null}
      ${inv.data?.map((x, i) => html`<${Invocation} x=${x} open=${i === 0} />`)}
    <//>
  </div>`;
}

export function ProjectPage({ name }) {
  const r = useLoad(async () => {
    const [p, ids] = await Promise.all([
      cb(new BatchGetProjectsCommand({ names: [name] })),
      cb(new ListBuildsForProjectCommand({ projectName: name, sortOrder: "DESCENDING" })),
    ]);
    if (!p.projects?.length)
      throw Object.assign(new Error(`Project cannot be found: ${name}`), { name: "ResourceNotFoundException" });
    const want = (ids.ids || []).slice(0, 25);
    const b = want.length ? await cb(new BatchGetBuildsCommand({ ids: want })) : { builds: [] };
    return { project: p.projects[0], builds: b.builds || [] };
  }, [name], (d) => d.builds.some((b) => !b.buildComplete));
  const p = r.data?.project;
  return html`<div>
    <${Detail} title=${"Project " + name} back="#/functions" backLabel="Functions and builds" r=${r} what="the project">
      ${p ? html`<dl class="facts">
        <dt>ARN</dt><dd class="mono small">${p.arn}</dd>
        <dt>Source</dt><dd>${p.source?.type} ${p.source?.location || ""}</dd>
        <dt>Service role</dt><dd class="mono small">${p.serviceRole}</dd>
        <dt>Environment</dt><dd>${p.environment?.image} · ${p.environment?.computeType}</dd>
      </dl>` : null}
    <//>
    ${r.data ? html`<${Section} title="Builds">
      ${r.data.builds.length ? html`<table>
        <thead><tr><th scope="col">Build</th><th scope="col">Status</th><th scope="col">Initiator</th><th scope="col">Started</th><th scope="col">Ended</th></tr></thead>
        <tbody>${r.data.builds.map((b) => html`<tr>
          <th scope="row"><a href=${buildHref(b.id)}>#${b.buildNumber}</a> <span class="mono small muted">${b.id}</span></th>
          <td><${Status} value=${b.buildStatus} /> <span class="small">${b.currentPhase}</span></td>
          <td class="small">${b.initiator}</td><td>${when(b.startTime)}</td><td>${when(b.endTime)}</td>
        </tr>`)}</tbody></table>` : html`<p class="muted">No builds.</p>`}
    <//>` : null}
  </div>`;
}

const secs = (p) => (p.durationInSeconds != null ? p.durationInSeconds + " s" : "");

export function BuildPage({ id }) {
  const r = useLoad(async () => {
    const o = await cb(new BatchGetBuildsCommand({ ids: [id] }));
    if (!o.builds?.length)
      throw Object.assign(new Error(`Build not found: ${id}`), { name: "ResourceNotFoundException" });
    return o.builds[0];
  }, [id], (b) => !b.buildComplete);
  const b = r.data;
  return html`<div>
    <${Detail} title=${"Build " + id} back=${"#/builds/" + enc(id.split(":")[0])} backLabel=${"Project " + id.split(":")[0]} r=${r} what="the build">
      ${b ? html`<dl class="facts">
        <dt>Status</dt><dd><${Status} value=${b.buildStatus} /> ${b.buildComplete ? "" : "phase " + b.currentPhase}</dd>
        <dt>Initiator</dt><dd>${b.initiator}</dd>
        <dt>Source version</dt><dd class="mono small">${b.resolvedSourceVersion || b.sourceVersion || ""}</dd>
        <dt>Started</dt><dd>${when(b.startTime)}${b.endTime ? " · ended " + when(b.endTime) : ""}</dd>
      </dl>` : null}
    <//>
    ${b ? html`<${Section} title="Phases">
      <table><thead><tr><th scope="col">Phase</th><th scope="col">Status</th><th scope="col">Duration</th><th scope="col">Context</th></tr></thead>
        <tbody>${(b.phases || []).map((p) => html`<tr>
          <th scope="row">${p.phaseType}</th><td><${Status} value=${p.phaseStatus || (b.buildComplete || p.phaseType === "COMPLETED" ? "" : "IN_PROGRESS")} /></td>
          <td>${secs(p)}</td><td class="small">${(p.contexts || []).map((c) => [c.statusCode, c.message].filter(Boolean).join(": ")).join("; ")}</td>
        </tr>`)}</tbody></table>
    <//>
    <${Section} title="Build log">
      ${b.logs?.groupName && b.logs?.streamName
        ? html`<${LogTail} group=${b.logs.groupName} stream=${b.logs.streamName} live=${!b.buildComplete} />`
        : html`<p class="muted">This build sends no logs to CloudWatch Logs.</p>`}
    <//>` : null}
  </div>`;
}

// A CodeBuild action's build: its status and log, inline (the pipeline page).
export function BuildLog({ id }) {
  const r = useLoad(async () => (await cb(new BatchGetBuildsCommand({ ids: [id] }))).builds?.[0] || null,
                    [id], (b) => b && !b.buildComplete);
  const b = r.data;
  return html`<div>
    <${ErrorBox} error=${r.error} />
    ${b?.logs?.groupName ? html`<${LogTail} group=${b.logs.groupName} stream=${b.logs.streamName} live=${!b.buildComplete} />` : null}
  </div>`;
}
