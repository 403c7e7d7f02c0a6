// IAM: the account's principals (users, roles, groups) and customer managed policies, as
// GetAccountAuthorizationDetails gives them in one read; a principal's policies in full; and
// a policy simulator (SimulatePrincipalPolicy, SimulateCustomPolicy) answered by the same
// engine that authorizes every call.
import {
  IAMClient, GetAccountAuthorizationDetailsCommand, SimulatePrincipalPolicyCommand,
  SimulateCustomPolicyCommand,
} from "@aws-sdk/client-iam";
import { useState } from "preact/hooks";
import { html, useLoad, ErrorBox, Loading, Section, when, policyText } from "./ui.js";
import { send } from "./aws.js";

const iam = (cmd) => send(IAMClient, cmd, "us-east-1");
const enc = encodeURIComponent;

async function details() {
  const out = { UserDetailList: [], GroupDetailList: [], RoleDetailList: [], Policies: [] };
  let marker;
  for (let i = 0; i < 50; i++) {
    const r = await iam(new GetAccountAuthorizationDetailsCommand({
      Filter: ["User", "Role", "Group", "LocalManagedPolicy"], Marker: marker }));
    for (const k of Object.keys(out)) out[k] = out[k].concat(r[k] || []);
    if (!r.IsTruncated) break;
    marker = r.Marker;
  }
  return out;
}

const simHref = (arn, action) => `#/iam/simulate?principal=${enc(arn)}${action ? "&actions=" + enc(action) : ""}`;

function Attached({ list }) {
  if (!list?.length) return html`<span class="muted">none</span>`;
  return list.map((p) => html`<span class="chip" title=${p.PolicyArn}>${p.PolicyName}</span>`);
}

export function IamPage() {
  const r = useLoad(details, []);
  const d = r.data;
  return html`<div>
    <${Section} title="IAM" actions=${html`<a class="button" href="#/iam/simulate">Policy simulator</a>
      <button type="button" onClick=${r.reload}>Refresh</button>`}>
      <${ErrorBox} error=${r.error} />
      ${r.loading ? html`<${Loading} what="principals and policies" />` : null}
      ${d ? html`<h3>Users</h3>
      <table aria-label="Users"><thead><tr><th scope="col">User</th><th scope="col">Groups</th><th scope="col">Managed policies</th><th scope="col">Inline policies</th><th scope="col">Created</th></tr></thead>
        <tbody>${d.UserDetailList.map((u) => html`<tr><th scope="row"><a href=${"#/iam/user/" + enc(u.UserName)}>${u.UserName}</a></th>
          <td>${(u.GroupList || []).join(", ")}</td><td><${Attached} list=${u.AttachedManagedPolicies} /></td>
          <td>${(u.UserPolicyList || []).map((p) => p.PolicyName).join(", ")}</td><td>${when(u.CreateDate)}</td></tr>`)}</tbody></table>
      <h3>Roles</h3>
      <table aria-label="Roles"><thead><tr><th scope="col">Role</th><th scope="col">Managed policies</th><th scope="col">Inline policies</th><th scope="col">Created</th></tr></thead>
        <tbody>${d.RoleDetailList.map((x) => html`<tr><th scope="row"><a href=${"#/iam/role/" + enc(x.RoleName)}>${x.Path !== "/" ? x.Path : ""}${x.RoleName}</a></th>
          <td><${Attached} list=${x.AttachedManagedPolicies} /></td>
          <td>${(x.RolePolicyList || []).map((p) => p.PolicyName).join(", ")}</td><td>${when(x.CreateDate)}</td></tr>`)}</tbody></table>
      <h3>Groups</h3>
      ${d.GroupDetailList.length ? html`<table aria-label="Groups"><thead><tr><th scope="col">Group</th><th scope="col">Managed policies</th><th scope="col">Inline policies</th></tr></thead>
        <tbody>${d.GroupDetailList.map((g) => html`<tr><th scope="row"><a href=${"#/iam/group/" + enc(g.GroupName)}>${g.GroupName}</a></th>
          <td><${Attached} list=${g.AttachedManagedPolicies} /></td><td>${(g.GroupPolicyList || []).map((p) => p.PolicyName).join(", ")}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No groups.</p>`}
      <h3>Customer managed policies</h3>
      ${d.Policies.length ? html`<table aria-label="Policies"><thead><tr><th scope="col">Policy</th><th scope="col">Attachments</th><th scope="col">Default version</th><th scope="col">Updated</th></tr></thead>
        <tbody>${d.Policies.map((p) => html`<tr><th scope="row"><a href=${"#/iam/policy/" + enc(p.PolicyName)}>${p.PolicyName}</a>
          <div class="mono small muted">${p.Arn}</div></th><td>${p.AttachmentCount}</td><td>${p.DefaultVersionId}</td><td>${when(p.UpdateDate)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No customer managed policies.</p>`}` : null}
    <//>
  </div>`;
}

function Doc({ title, doc }) {
  return html`<div class="policy">
    <h4>${title}</h4>
    <pre class="logtext" tabindex="0">${policyText(doc)}</pre>
  </div>`;
}

const KINDS = {
  user: ["UserDetailList", "UserName", "UserPolicyList"],
  role: ["RoleDetailList", "RoleName", "RolePolicyList"],
  group: ["GroupDetailList", "GroupName", "GroupPolicyList"],
};

// A user, role or group (kind) with every policy that applies to it, in full.
export function PrincipalPage({ kind, name }) {
  const r = useLoad(details, [kind, name]);
  const [list, key, inline] = KINDS[kind] || KINDS.user;
  const x = r.data?.[list].find((e) => e[key] === name);
  const managed = (arn) => r.data.Policies.find((p) => p.Arn === arn);
  const docOf = (p) => (p.PolicyVersionList || []).find((v) => v.IsDefaultVersion)?.Document;
  return html`<div>
    <${Section} title=${`${kind[0].toUpperCase() + kind.slice(1)} ${name}`} actions=${kind !== "group" && x ? html`<a class="button" href=${simHref(x.Arn)}>Simulate its policies</a>` : null}>
      <p><a href="#/iam">← IAM</a></p>
      <${ErrorBox} error=${r.error} />
      ${r.loading ? html`<${Loading} what=${"the " + kind} />` : null}
      ${r.data && !x ? html`<p class="muted">No ${kind} ${name} in this account.</p>` : null}
      ${x ? html`<dl class="facts">
        <dt>ARN</dt><dd class="mono small">${x.Arn}</dd>
        ${x.GroupList?.length ? html`<dt>Groups</dt><dd>${x.GroupList.map((g) => html`<a href=${"#/iam/group/" + enc(g)}>${g}</a> `)}</dd>` : null}
        ${x.PermissionsBoundary ? html`<dt>Permissions boundary</dt><dd class="mono small">${x.PermissionsBoundary.PermissionsBoundaryArn}</dd>` : null}
        <dt>Created</dt><dd>${when(x.CreateDate)}</dd>
      </dl>` : null}
    <//>
    ${x ? html`<${Section} title="Policies">
      ${x.AssumeRolePolicyDocument ? html`<${Doc} title="Trust policy (who may assume the role)" doc=${x.AssumeRolePolicyDocument} />` : null}
      ${(x[inline] || []).map((p) => html`<${Doc} title=${"Inline: " + p.PolicyName} doc=${p.PolicyDocument} />`)}
      ${(x.AttachedManagedPolicies || []).map((p) => {
        const m = managed(p.PolicyArn);
        return m ? html`<${Doc} title=${"Managed: " + p.PolicyName} doc=${docOf(m)} />`
                 : html`<p><span class="chip">AWS managed</span> ${p.PolicyName} <span class="mono small muted">${p.PolicyArn}</span></p>`;
      })}
      ${!(x[inline] || []).length && !(x.AttachedManagedPolicies || []).length ? html`<p class="muted">No identity-based policies: this principal is allowed nothing by itself.</p>` : null}
    <//>` : null}
  </div>`;
}

export function PolicyPage({ name }) {
  const r = useLoad(details, [name]);
  const p = r.data?.Policies.find((x) => x.PolicyName === name);
  const users = r.data?.UserDetailList.filter((u) => (u.AttachedManagedPolicies || []).some((a) => a.PolicyArn === p?.Arn)) || [];
  const roles = r.data?.RoleDetailList.filter((u) => (u.AttachedManagedPolicies || []).some((a) => a.PolicyArn === p?.Arn)) || [];
  return html`<div>
    <${Section} title=${"Policy " + name}>
      <p><a href="#/iam">← IAM</a></p>
      <${ErrorBox} error=${r.error} />
      ${r.data && !p ? html`<p class="muted">No customer managed policy ${name} in this account.</p>` : null}
      ${p ? html`<dl class="facts"><dt>ARN</dt><dd class="mono small">${p.Arn}</dd>
        <dt>Attached to</dt><dd>${users.map((u) => html`<a href=${"#/iam/user/" + enc(u.UserName)}>${u.UserName}</a> `)}
          ${roles.map((u) => html`<a href=${"#/iam/role/" + enc(u.RoleName)}>${u.RoleName}</a> `)}${!users.length && !roles.length ? "no user or role" : ""}</dd></dl>
        ${(p.PolicyVersionList || []).map((v) => html`<${Doc} title=${v.VersionId + (v.IsDefaultVersion ? " (default)" : "")} doc=${v.Document} />`)}` : null}
    <//>
  </div>`;
}

const split = (s) => (s || "").split(/[\s,]+/).filter(Boolean);

// The principal an ARN from the trail stands for in the simulator: an assumed-role
// session's role.
export function simPrincipal(arn) {
  const m = (arn || "").match(/^arn:aws:sts::(\d{12}):assumed-role\/([^/]+)\//);
  return m ? `arn:aws:iam::${m[1]}:role/${m[2]}` : arn;
}
export { simHref };

async function simulate(q) {
  const base = {
    ActionNames: split(q.get("actions")),
    ResourceArns: split(q.get("resources")).length ? split(q.get("resources")) : undefined,
    ResourcePolicy: q.get("resourcePolicy") || undefined,
    CallerArn: q.get("caller") || undefined,
  };
  let out = [], marker;
  for (let i = 0; i < 20; i++) {
    const r = q.get("policy")
      ? await iam(new SimulateCustomPolicyCommand({ ...base, PolicyInputList: [q.get("policy")], Marker: marker }))
      : await iam(new SimulatePrincipalPolicyCommand({ ...base, PolicySourceArn: q.get("principal"), Marker: marker }));
    out = out.concat(r.EvaluationResults || []);
    if (!r.IsTruncated) break;
    marker = r.Marker;
  }
  return out;
}

const DECISION = { allowed: ["ok", "Allowed"], explicitDeny: ["bad", "Denied (explicit Deny)"],
                   implicitDeny: ["bad", "Denied (no Allow)"] };

// Where a matched statement is in its policy (AWS's StartPosition and EndPosition).
const at = (p) => (p ? `${p.Line}:${p.Column}` : "?");

function Matched({ list }) {
  if (!list?.length) return null;
  return html`<ul class="matched small">${list.map((s) => html`<li>
    <span class="mono">${s.SourcePolicyId || "?"}</span> <span class="muted">(${s.SourcePolicyType})</span>
    ${s.StartPosition ? html` · statement at <span class="mono">${at(s.StartPosition)}–${at(s.EndPosition)}</span>` : null}</li>`)}</ul>`;
}

function why(x) {
  const m = x.MatchedStatements || [];
  const pol = m.map((s) => `${s.SourcePolicyId || "?"} (${s.SourcePolicyType})`).join(", ");
  if (x.EvalDecision === "allowed") return `Allowed by ${pol || "a policy"}.`;
  if (x.EvalDecision === "explicitDeny") return `A Deny statement in ${pol || "a policy"} matched: a Deny always wins.`;
  if (x.OrganizationsDecisionDetail && !x.OrganizationsDecisionDetail.AllowedByOrganizations)
    return "No Allow in the service control policies of the account's organization.";
  if (x.PermissionsBoundaryDecisionDetail && !x.PermissionsBoundaryDecisionDetail.AllowedByPermissionsBoundary)
    return "The permissions boundary does not allow it.";
  return "No statement allows it: without an Allow, every request is refused.";
}

export function SimulatorPage({ query }) {
  const ran = query.get("actions") && (query.get("principal") || query.get("policy"));
  const r = useLoad(() => (ran ? simulate(query) : Promise.resolve(null)), [query.toString()]);
  const [form, setForm] = useState({ mode: query.get("policy") ? "custom" : "principal", ...Object.fromEntries(query.entries()) });
  const set = (k) => (ev) => setForm({ ...form, [k]: ev.target.value });
  function submit(ev) {
    ev.preventDefault();
    const keep = ["actions", "resources", "resourcePolicy", "caller", form.mode === "custom" ? "policy" : "principal"];
    const q = new URLSearchParams(keep.filter((k) => form[k]).map((k) => [k, form[k]]));
    location.hash = "#/iam/simulate?" + q.toString();
  }
  return html`<div>
    <${Section} title="Policy simulator">
      <p><a href="#/iam">← IAM</a></p>
      <p class="muted">Evaluates actions against a principal's policies (SimulatePrincipalPolicy, with the
        organization's SCPs and its permissions boundary) or against a policy you write
        (SimulateCustomPolicy), with ferry's own policy engine.</p>
      <form class="simulate" aria-label="Simulate" onSubmit=${submit}>
        <fieldset><legend>Policies to test</legend>
          <label class="inline"><input type="radio" name="mode" value="principal" checked=${form.mode !== "custom"} onChange=${set("mode")} /> A principal's (user, group or role ARN)</label>
          <label class="inline"><input type="radio" name="mode" value="custom" checked=${form.mode === "custom"} onChange=${set("mode")} /> A policy document</label>
        </fieldset>
        ${form.mode === "custom"
          ? html`<label>Policy document<textarea name="policy" rows="6" class="mono" value=${form.policy || ""} onInput=${set("policy")} /></label>`
          : html`<label>Principal ARN<input name="principal" class="mono" value=${form.principal || ""} onInput=${set("principal")} placeholder="arn:aws:iam::111122223333:user/alice" /></label>`}
        <label>Actions <span class="muted">(comma or space separated)</span><input name="actions" value=${form.actions || ""} onInput=${set("actions")} placeholder="s3:GetObject, sqs:SendMessage" required /></label>
        <label>Resource ARNs <span class="muted">(optional; default *)</span><input name="resources" value=${form.resources || ""} onInput=${set("resources")} /></label>
        <details><summary>Resource policy</summary>
          <label>Resource-based policy<textarea rows="4" class="mono" value=${form.resourcePolicy || ""} onInput=${set("resourcePolicy")} /></label>
          <label>Caller ARN <span class="muted">(an IAM user; needed with a resource policy unless the principal is a user)</span><input class="mono" value=${form.caller || ""} onInput=${set("caller")} /></label>
        </details>
        <button type="submit">Run simulation</button>
      </form>
    <//>
    ${ran ? html`<${Section} title="Results">
      <${ErrorBox} error=${r.error} />
      ${r.loading ? html`<${Loading} what="the simulation" />` : null}
      ${r.data ? html`<table class="results" aria-label="Simulation results">
        <thead><tr><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Decision</th><th scope="col">Why</th></tr></thead>
        <tbody>${r.data.map((x) => {
          const [cls, label] = DECISION[x.EvalDecision] || ["muted", x.EvalDecision];
          return html`<tr class=${x.EvalDecision === "allowed" ? "" : "refused"}>
            <th scope="row">${x.EvalActionName}</th><td class="mono small">${x.EvalResourceName}</td>
            <td><span class=${"status " + cls}>${label}</span></td><td class="small">${why(x)}<${Matched} list=${x.MatchedStatements} /></td></tr>`;
        })}</tbody></table>` : null}
    <//>` : null}
  </div>`;
}
