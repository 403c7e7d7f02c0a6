// Pipelines: the list with each one's last execution, and a pipeline drawn as AWS draws it
// (stages one under the other, their actions side by side), live while it runs, with manual
// approvals, retry of a failed stage, a CodeBuild action's build log, and the execution
// history with each execution's actions (ListActionExecutions).
import {
  CodePipelineClient, ListPipelinesCommand, ListPipelineExecutionsCommand, GetPipelineCommand,
  GetPipelineStateCommand, PutApprovalResultCommand, RetryStageExecutionCommand,
  StartPipelineExecutionCommand, ListActionExecutionsCommand,
} from "@aws-sdk/client-codepipeline";
import { useState } from "preact/hooks";
import { html, useLoad, useAction, ErrorBox, Loading, Section, Detail, Status, all, when } from "./ui.js";
import { send } from "./aws.js";
import { BuildLog, buildHref } from "./builds.js";

const cp = (cmd) => send(CodePipelineClient, cmd);
const running = (s) => s === "InProgress" || s === "Stopping";

async function loadList() {
  const pipes = await all(async (t) => {
    const r = await cp(new ListPipelinesCommand({ nextToken: t }));
    return [r.pipelines, r.nextToken];
  });
  return Promise.all(pipes.map(async (p) => {
    const r = await cp(new ListPipelineExecutionsCommand({ pipelineName: p.name, maxResults: 1 }));
    return { ...p, last: (r.pipelineExecutionSummaries || [])[0] };
  }));
}

export function PipelinesPage() {
  const r = useLoad(loadList, [], (d) => d.some((p) => running(p.last?.status)));
  return html`<${Section} title="Pipelines" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="pipelines" />` : null}
    ${r.data && !r.data.length ? html`<p class="muted">No pipelines in this account and region.</p>` : null}
    ${r.data?.length ? html`<table>
      <thead><tr><th scope="col">Name</th><th scope="col">Latest execution</th><th scope="col">Started</th><th scope="col">Updated</th></tr></thead>
      <tbody>${r.data.map((p) => html`<tr>
        <th scope="row"><a href=${"#/pipelines/" + encodeURIComponent(p.name)}>${p.name}</a></th>
        <td><${Status} value=${p.last?.status} /> <span class="mono small">${p.last?.pipelineExecutionId || ""}</span></td>
        <td>${when(p.last?.startTime)}</td><td>${when(p.updated)}</td>
      </tr>`)}</tbody></table>` : null}
  <//>`;
}

function Approval({ name, stage, action, token, onDone }) {
  const [summary, setSummary] = useState("");
  const act = useAction(async (status) => {
    await cp(new PutApprovalResultCommand({
      pipelineName: name, stageName: stage, actionName: action, token,
      result: { status, summary: summary || (status === "Approved" ? "Approved in the ferry console" : "Rejected in the ferry console") },
    }));
    onDone();
  });
  const id = `approval-${stage}-${action}`;
  return html`<div class="approval">
    <label for=${id}>Comments</label>
    <textarea id=${id} rows="2" value=${summary} onInput=${(e) => setSummary(e.target.value)} />
    <div class="actions">
      <button type="button" class="ok" disabled=${act.busy} onClick=${() => act.run("Approved")}>Approve</button>
      <button type="button" class="bad" disabled=${act.busy} onClick=${() => act.run("Rejected")}>Reject</button>
    </div>
    <${ErrorBox} error=${act.error} />
  </div>`;
}

// An action's run, as far as the console can show it: a CodeBuild build (its page, and its
// log inline on demand).
function ActionRun({ provider, id }) {
  const [open, setOpen] = useState(false);
  if (provider !== "CodeBuild" || !id) return null;
  return html`<div class="small">
    <a href=${buildHref(id)}>Build ${id.split(":").pop().slice(0, 8)}</a>${" · "}
    <button type="button" class="link" aria-expanded=${open} onClick=${() => setOpen(!open)}>${open ? "Hide logs" : "Logs"}</button>
    ${open ? html`<${BuildLog} id=${id} />` : null}
  </div>`;
}

function Action({ name, stage, decl, state, onChange }) {
  const le = state?.latestExecution || {};
  const type = decl.actionTypeId || {};
  const cfg = decl.configuration || {};
  const approval = type.category === "Approval" && le.status === "InProgress" && le.token;
  return html`<li class=${"action " + (le.status ? "s-" + le.status : "")} aria-label=${"Action " + decl.name}>
    <div class="action-head"><strong>${decl.name}</strong> <${Status} value=${le.status} /></div>
    <div class="muted small">${type.category} · ${type.provider}${decl.region ? " · " + decl.region : ""}</div>
    ${le.summary ? html`<p class="small">${le.summary}</p>` : null}
    ${le.lastStatusChange ? html`<div class="muted small">${when(le.lastStatusChange)}</div>` : null}
    <${ActionRun} provider=${type.provider} id=${le.externalExecutionId} />
    ${le.externalExecutionUrl ? html`<div class="small"><a href=${le.externalExecutionUrl} target="_blank" rel="noopener noreferrer">Details</a></div>` : null}
    ${state?.entityUrl ? html`<div class="small"><a href=${state.entityUrl} target="_blank" rel="noopener noreferrer">${type.provider} resource</a></div>` : null}
    ${le.errorDetails ? html`<div class="error small" role="note"><strong class="code">${le.errorDetails.code}</strong> ${le.errorDetails.message}</div>` : null}
    ${type.category === "Approval" && cfg.CustomData ? html`<p class="small">${cfg.CustomData}</p>` : null}
    ${type.category === "Approval" && cfg.ExternalEntityLink ? html`<div class="small"><a href=${cfg.ExternalEntityLink} target="_blank" rel="noopener noreferrer">Review link</a></div>` : null}
    ${approval ? html`<${Approval} name=${name} stage=${stage} action=${decl.name} token=${le.token} onDone=${onChange} />` : null}
  </li>`;
}

function Stage({ name, decl, state, onChange }) {
  const le = state?.latestExecution || {};
  const retry = useAction(async () => {
    await cp(new RetryStageExecutionCommand({ pipelineName: name, stageName: decl.name,
      pipelineExecutionId: le.pipelineExecutionId, retryMode: "FAILED_ACTIONS" }));
    onChange();
  });
  const byName = Object.fromEntries((state?.actionStates || []).map((a) => [a.actionName, a]));
  const inbound = state?.inboundTransitionState;
  return html`<li class=${"stage " + (le.status ? "s-" + le.status : "")}>
    ${inbound && !inbound.enabled ? html`<div class="transition off">Transition disabled${inbound.disabledReason ? ": " + inbound.disabledReason : ""}</div>` : null}
    <div class="stage-head">
      <h3>${decl.name}</h3> <${Status} value=${le.status} />
      ${le.pipelineExecutionId ? html`<span class="muted mono small">${le.pipelineExecutionId}</span>` : null}
      ${le.status === "Failed" ? html`<button type="button" class="retry" disabled=${retry.busy} onClick=${() => retry.run()}>Retry failed actions</button>` : null}
    </div>
    <${ErrorBox} error=${retry.error} />
    <ul class="actions-row">${decl.actions.map((a) => html`<${Action} name=${name} stage=${decl.name} decl=${a} state=${byName[a.name]} onChange=${onChange} />`)}</ul>
  </li>`;
}

async function loadPipeline(name) {
  const [p, st, hist] = await Promise.all([
    cp(new GetPipelineCommand({ name })),
    cp(new GetPipelineStateCommand({ name })),
    cp(new ListPipelineExecutionsCommand({ pipelineName: name, maxResults: 25 })),
  ]);
  return { pipeline: p.pipeline, state: st, history: hist.pipelineExecutionSummaries || [] };
}

// One execution's actions, as ListActionExecutions gives them (the history's detail).
function ExecutionActions({ name, id }) {
  const r = useLoad(() => all(async (t) => {
    const o = await cp(new ListActionExecutionsCommand({ pipelineName: name, filter: { pipelineExecutionId: id }, nextToken: t }));
    return [o.actionExecutionDetails, o.nextToken];
  }), [name, id], (d) => d.some((a) => running(a.status)));
  return html`<${Section} title=${"Execution " + id}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="its actions" />` : null}
    ${r.data ? html`<table aria-label="Actions of the execution">
      <thead><tr><th scope="col">Stage / action</th><th scope="col">Provider</th><th scope="col">Status</th><th scope="col">Summary</th><th scope="col">Started</th><th scope="col">Updated</th></tr></thead>
      <tbody>${r.data.map((a) => {
        const res = a.output?.executionResult || {};
        const prov = a.input?.actionTypeId?.provider;
        return html`<tr>
          <th scope="row">${a.stageName} / ${a.actionName}</th><td>${prov}</td>
          <td><${Status} value=${a.status} /></td>
          <td class="small">${res.externalExecutionSummary || ""}
            ${res.errorDetails ? html`<div><strong class="code">${res.errorDetails.code}</strong> ${res.errorDetails.message}</div>` : null}
            ${prov === "CodeBuild" && res.externalExecutionId ? html`<div><a href=${buildHref(res.externalExecutionId)}>Build and its log</a></div>`
              : res.externalExecutionId ? html`<div class="mono muted">${res.externalExecutionId}</div>` : null}</td>
          <td class="small">${when(a.startTime)}</td><td class="small">${when(a.lastUpdateTime)}</td>
        </tr>`;
      })}</tbody></table>` : null}
  <//>`;
}

export function PipelinePage({ name, query }) {
  const r = useLoad(() => loadPipeline(name), [name],
    (d) => d.history.some((x) => running(x.status)) ||
           (d.state.stageStates || []).some((s) => running(s.latestExecution?.status)));
  const release = useAction(async () => {
    await cp(new StartPipelineExecutionCommand({ name }));
    r.reload();
  });
  const chosen = query?.get("execution");
  const states = Object.fromEntries((r.data?.state.stageStates || []).map((s) => [s.stageName, s]));
  const self = "#/pipelines/" + encodeURIComponent(name);
  return html`<div>
    <${Detail} title=${"Pipeline " + name} back="#/pipelines" backLabel="Pipelines" r=${{ ...r, error: r.error || release.error }} what="the pipeline"
      actions=${html`<button type="button" class="release" disabled=${release.busy} onClick=${() => release.run()}>Release change</button>`}>
      ${r.data ? html`<ol class="stages" aria-label="Stages">${r.data.pipeline.stages.map((s) => html`<${Stage} name=${name} decl=${s} state=${states[s.name]} onChange=${r.reload} />`)}</ol>` : null}
    <//>
    ${r.data ? html`<${Section} title="Execution history">
      <table class="history">
        <thead><tr><th scope="col">Execution</th><th scope="col">Status</th><th scope="col">Trigger</th><th scope="col">Started</th><th scope="col">Updated</th></tr></thead>
        <tbody>${r.data.history.map((x) => html`<tr aria-current=${x.pipelineExecutionId === chosen ? "true" : undefined}>
          <th scope="row" class="mono small"><a href=${self + "?execution=" + x.pipelineExecutionId}>${x.pipelineExecutionId}</a></th>
          <td><${Status} value=${x.status} />${x.statusSummary ? html` <span class="small">${x.statusSummary}</span>` : null}</td>
          <td>${x.trigger?.triggerType || ""}</td><td>${when(x.startTime)}</td><td>${when(x.lastUpdateTime)}</td>
        </tr>`)}</tbody>
      </table>
    <//>` : null}
    ${chosen ? html`<${ExecutionActions} name=${name} id=${chosen} />` : null}
  </div>`;
}
