// Stacks (resources, events live, outputs, change sets and their changes, drift as far as
// it is known), the region's exports, and StackSets with their instances as an accounts x
// regions grid.
import {
  CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand,
  DescribeStackEventsCommand, ListExportsCommand, ListChangeSetsCommand, DescribeChangeSetCommand,
  ListStackSetsCommand, DescribeStackSetCommand, ListStackInstancesCommand,
  ListStackSetOperationsCommand,
} from "@aws-sdk/client-cloudformation";
import { useState } from "preact/hooks";
import { html, useLoad, ErrorBox, Loading, Section, Detail, Status, all, when } from "./ui.js";
import { send } from "./aws.js";

const cfn = (cmd) => send(CloudFormationClient, cmd);
const busy = (s) => /_IN_PROGRESS$/.test(s || "");

function Exports() {
  const r = useLoad(() => all(async (t) => {
    const o = await cfn(new ListExportsCommand({ NextToken: t }));
    return [o.Exports, o.NextToken];
  }), []);
  return html`<${Section} title="Exports">
    <${ErrorBox} error=${r.error} />
    ${r.data?.length ? html`<table><thead><tr><th scope="col">Name</th><th scope="col">Value</th><th scope="col">Exporting stack</th></tr></thead>
      <tbody>${r.data.map((x) => html`<tr><th scope="row">${x.Name}</th><td class="mono small">${x.Value}</td>
        <td class="mono small">${x.ExportingStackId}</td></tr>`)}</tbody></table>` : null}
    ${r.data && !r.data.length ? html`<p class="muted">No exports.</p>` : null}
  <//>`;
}

export function StacksPage() {
  return html`<div><${StackList} /><${StackSets} /><${Exports} /></div>`;
}

// Drift as DescribeStacks/ListStackResources report it. ferry runs no drift detection
// (DetectStackDrift is not implemented), so NOT_CHECKED is what it always says.
function Drift({ info }) {
  const s = info?.StackDriftStatus || info?.StackResourceDriftStatus;
  if (!s || s === "NOT_CHECKED") return html`<span class="muted small" title="NOT_CHECKED: drift detection has not run">not detected</span>`;
  return html`<${Status} value=${s} />`;
}

function StackList() {
  const r = useLoad(() => all(async (t) => {
    const o = await cfn(new DescribeStacksCommand({ NextToken: t }));
    return [o.Stacks, o.NextToken];
  }), [], (d) => d.some((s) => busy(s.StackStatus)));
  return html`<${Section} title="Stacks" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="stacks" />` : null}
    ${r.data && !r.data.length ? html`<p class="muted">No stacks in this account and region.</p>` : null}
    ${r.data?.length ? html`<table>
      <thead><tr><th scope="col">Stack</th><th scope="col">Status</th><th scope="col">Drift</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
      <tbody>${r.data.map((s) => html`<tr>
        <th scope="row"><a href=${"#/stacks/" + encodeURIComponent(s.StackName)}>${s.StackName}</a></th>
        <td><${Status} value=${s.StackStatus} /> <span class="small">${s.StackStatusReason || ""}</span></td>
        <td><${Drift} info=${s.DriftInformation} /></td><td>${when(s.CreationTime)}</td><td>${when(s.LastUpdatedTime)}</td>
      </tr>`)}</tbody></table>` : null}
  <//>`;
}

export function StackPage({ name }) {
  const r = useLoad(async () => {
    const [d, res, ev, cs] = await Promise.all([
      cfn(new DescribeStacksCommand({ StackName: name })),
      all(async (t) => { const o = await cfn(new ListStackResourcesCommand({ StackName: name, NextToken: t })); return [o.StackResourceSummaries, o.NextToken]; }),
      cfn(new DescribeStackEventsCommand({ StackName: name })),
      cfn(new ListChangeSetsCommand({ StackName: name })),
    ]);
    return { stack: d.Stacks[0], resources: res, events: (ev.StackEvents || []).slice(0, 100),
             changeSets: cs.Summaries || [] };
  }, [name], (d) => busy(d.stack?.StackStatus));
  const s = r.data?.stack;
  return html`<div>
    <${Detail} title=${"Stack " + name} back="#/stacks" backLabel="Stacks" r=${r} what="the stack">
      ${s ? html`<dl class="facts">
        <dt>Status</dt><dd><${Status} value=${s.StackStatus} /> ${s.StackStatusReason || ""}</dd>
        <dt>Id</dt><dd class="mono small">${s.StackId}</dd>
        <dt>Drift</dt><dd><${Drift} info=${s.DriftInformation} /></dd>
        ${s.Description ? html`<dt>Description</dt><dd>${s.Description}</dd>` : null}
      </dl>` : null}
    <//>
    ${s ? html`<${Section} title="Outputs">
      ${(s.Outputs || []).length ? html`<table><thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Export</th></tr></thead>
        <tbody>${s.Outputs.map((o) => html`<tr><th scope="row">${o.OutputKey}</th><td class="mono small">${o.OutputValue}</td><td>${o.ExportName || ""}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No outputs.</p>`}
    <//>
    <${Section} title="Resources">
      <table><thead><tr><th scope="col">Logical id</th><th scope="col">Physical id</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Drift</th></tr></thead>
        <tbody>${r.data.resources.map((x) => html`<tr><th scope="row">${x.LogicalResourceId}</th><td class="mono small">${x.PhysicalResourceId}</td><td>${x.ResourceType}</td><td><${Status} value=${x.ResourceStatus} /></td><td><${Drift} info=${x.DriftInformation} /></td></tr>`)}</tbody></table>
    <//>
    <${Section} title="Change sets">
      ${r.data.changeSets.length ? html`<table><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Execution</th><th scope="col">Created</th></tr></thead>
        <tbody>${r.data.changeSets.map((x) => html`<tr><th scope="row"><${ChangeSet} stack=${name} cs=${x} /></th><td><${Status} value=${x.Status} /> <span class="small">${x.StatusReason || ""}</span></td>
          <td>${x.ExecutionStatus}</td><td>${when(x.CreationTime)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No change sets.</p>`}
    <//>
    <${Section} title="Events">
      <table><thead><tr><th scope="col">Time</th><th scope="col">Logical id</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead>
        <tbody>${r.data.events.map((x) => html`<tr><td class="small">${when(x.Timestamp)}</td><th scope="row">${x.LogicalResourceId}</th><td><${Status} value=${x.ResourceStatus} /></td><td class="small">${x.ResourceStatusReason || ""}</td></tr>`)}</tbody></table>
    <//>` : null}
  </div>`;
}


// A change set's name, and its changes on demand (DescribeChangeSet).
function ChangeSet({ stack, cs }) {
  const [open, setOpen] = useState(false);
  return html`<div>
    <button type="button" class="link" aria-expanded=${open} onClick=${() => setOpen(!open)}>${cs.ChangeSetName}</button>
    ${open ? html`<${Changes} stack=${stack} name=${cs.ChangeSetName} />` : null}
  </div>`;
}

function Changes({ stack, name }) {
  const r = useLoad(async () => {
    let out = [], token;
    do {
      const o = await cfn(new DescribeChangeSetCommand({ StackName: stack, ChangeSetName: name, NextToken: token }));
      out = out.concat(o.Changes || []);
      token = o.NextToken;
    } while (token);
    return out;
  }, [stack, name]);
  return html`<div class="changes">
    <${ErrorBox} error=${r.error} />
    ${r.data && !r.data.length ? html`<p class="muted small">No changes.</p>` : null}
    ${r.data?.length ? html`<ul class="plain small">${r.data.map((c) => {
      const x = c.ResourceChange || {};
      return html`<li><span class=${"chip " + (x.Action === "Remove" ? "warn" : "")}>${x.Action}</span> ${x.LogicalResourceId}${" "}
        <span class="muted">${x.ResourceType}</span>${x.Replacement && x.Replacement !== "False" ? html` <strong>replacement: ${x.Replacement}</strong>` : null}</li>`;
    })}</ul>` : null}
  </div>`;
}

const ssBusy = (ops) => ops.some((o) => o.Status === "RUNNING" || o.Status === "QUEUED" || o.Status === "STOPPING");

function StackSets() {
  const r = useLoad(() => all(async (t) => {
    const o = await cfn(new ListStackSetsCommand({ NextToken: t, Status: "ACTIVE" }));
    return [o.Summaries, o.NextToken];
  }), []);
  return html`<${Section} title="StackSets">
    <${ErrorBox} error=${r.error} />
    ${r.data && !r.data.length ? html`<p class="muted">No StackSets administered from this account and region.</p>` : null}
    ${r.data?.length ? html`<table><thead><tr><th scope="col">StackSet</th><th scope="col">Permission model</th><th scope="col">Status</th><th scope="col">Drift</th></tr></thead>
      <tbody>${r.data.map((x) => html`<tr><th scope="row"><a href=${"#/stacksets/" + encodeURIComponent(x.StackSetName)}>${x.StackSetName}</a>
        ${x.Description ? html`<div class="muted small">${x.Description}</div>` : null}</th>
        <td>${x.PermissionModel}</td><td><${Status} value=${x.Status} /></td><td><${Drift} info=${{ StackDriftStatus: x.DriftStatus }} /></td></tr>`)}</tbody></table>` : null}
  <//>`;
}

// A StackSet: its instances as a grid (a row per account, a column per region), live while
// an operation runs, and its operations.
export function StackSetPage({ name }) {
  const r = useLoad(async () => {
    const [d, inst, ops] = await Promise.all([
      cfn(new DescribeStackSetCommand({ StackSetName: name })),
      all(async (t) => { const o = await cfn(new ListStackInstancesCommand({ StackSetName: name, NextToken: t })); return [o.Summaries, o.NextToken]; }),
      cfn(new ListStackSetOperationsCommand({ StackSetName: name, MaxResults: 20 })),
    ]);
    return { set: d.StackSet, instances: inst, ops: ops.Summaries || [] };
  }, [name], (d) => ssBusy(d.ops));
  const d = r.data;
  const accounts = d ? [...new Set(d.instances.map((i) => i.Account))].sort() : [];
  const regions = d ? [...new Set(d.instances.map((i) => i.Region))].sort() : [];
  const cell = (a, g) => d.instances.find((i) => i.Account === a && i.Region === g);
  return html`<div>
    <${Detail} title=${"StackSet " + name} back="#/stacks" backLabel="Stacks" r=${r} what="the StackSet">
      ${d ? html`<dl class="facts">
        <dt>Status</dt><dd><${Status} value=${d.set.Status} /></dd>
        <dt>Id</dt><dd class="mono small">${d.set.StackSetId}</dd>
        <dt>Permission model</dt><dd>${d.set.PermissionModel}</dd>
        ${d.set.Description ? html`<dt>Description</dt><dd>${d.set.Description}</dd>` : null}
        <dt>Drift</dt><dd><${Drift} info=${{ StackDriftStatus: d.set.StackSetDriftDetectionDetails?.DriftStatus }} /></dd>
      </dl>` : null}
    <//>
    ${d ? html`<${Section} title="Instances: accounts × regions">
      ${d.instances.length ? html`<table class="grid" aria-label="Stack instances">
        <thead><tr><th scope="col">Account</th>${regions.map((g) => html`<th scope="col">${g}</th>`)}</tr></thead>
        <tbody>${accounts.map((a) => html`<tr><th scope="row" class="mono">${a}</th>
          ${regions.map((g) => {
            const i = cell(a, g);
            if (!i) return html`<td class="muted">—</td>`;
            return html`<td><${Status} value=${i.Status} />${i.StackInstanceStatus?.DetailedStatus ? html` <span class="small">${i.StackInstanceStatus.DetailedStatus}</span>` : null}
              ${i.StatusReason ? html`<div class="small">${i.StatusReason}</div>` : null}
              <div><${Drift} info=${{ StackDriftStatus: i.DriftStatus }} /></div></td>`;
          })}</tr>`)}</tbody></table>` : html`<p class="muted">No stack instances.</p>`}
    <//>
    <${Section} title="Operations">
      ${d.ops.length ? html`<table><thead><tr><th scope="col">Operation</th><th scope="col">Action</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Ended</th></tr></thead>
        <tbody>${d.ops.map((o) => html`<tr><th scope="row" class="mono small">${o.OperationId}</th><td>${o.Action}</td>
          <td><${Status} value=${o.Status} /> <span class="small">${o.StatusReason || ""}</span></td><td>${when(o.CreationTimestamp)}</td><td>${when(o.EndTimestamp)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No operations.</p>`}
    <//>` : null}
  </div>`;
}
