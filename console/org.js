// The organization: its tree of OUs and accounts with the SCPs attached to each, and for an
// account its roles and who may assume them (their trust policies).
import {
  OrganizationsClient, DescribeOrganizationCommand, ListRootsCommand,
  ListOrganizationalUnitsForParentCommand, ListAccountsForParentCommand,
  ListPoliciesForTargetCommand, DescribeAccountCommand,
} from "@aws-sdk/client-organizations";
import { IAMClient, ListRolesCommand } from "@aws-sdk/client-iam";
import { html, useLoad, ErrorBox, Loading, Section, all, when } from "./ui.js";
import { send, session, whoami } from "./aws.js";

const org = (cmd) => send(OrganizationsClient, cmd, "us-east-1");

async function scps(id) {
  const r = await org(new ListPoliciesForTargetCommand({ TargetId: id, Filter: "SERVICE_CONTROL_POLICY" }));
  return r.Policies || [];
}

async function node(id, name, kind) {
  const [ous, accounts, policies] = await Promise.all([
    all(async (t) => { const r = await org(new ListOrganizationalUnitsForParentCommand({ ParentId: id, NextToken: t })); return [r.OrganizationalUnits, r.NextToken]; }),
    all(async (t) => { const r = await org(new ListAccountsForParentCommand({ ParentId: id, NextToken: t })); return [r.Accounts, r.NextToken]; }),
    scps(id),
  ]);
  return {
    id, name, kind, policies,
    accounts: await Promise.all(accounts.map(async (a) => ({ ...a, policies: await scps(a.Id) }))),
    children: await Promise.all(ous.map((o) => node(o.Id, o.Name, "OU"))),
  };
}

async function loadOrg() {
  const [{ Organization }, { Roots }] = await Promise.all([
    org(new DescribeOrganizationCommand({})), org(new ListRootsCommand({})),
  ]);
  return { Organization, roots: await Promise.all(Roots.map((r) => node(r.Id, r.Name, "Root"))) };
}

function Policies({ list }) {
  if (!list?.length) return html`<span class="muted">no SCP</span>`;
  return html`<span class="scps">${list.map((p) => html`<span class="chip" title=${p.Description || p.Id}>${p.Name}</span>`)}</span>`;
}

function Tree({ n }) {
  return html`<li>
    <span class="ou"><strong>${n.name}</strong> <span class="muted">${n.kind} ${n.id}</span> · SCPs: <${Policies} list=${n.policies} /></span>
    <ul>
      ${n.accounts.map((a) => html`<li class="account">
        <a href=${"#/org/account/" + a.Id}>${a.Name}</a> <span class="mono">${a.Id}</span>${" "}
        <span class="muted">${a.Email}</span> <span class="status ${a.Status === "ACTIVE" ? "ok" : "warn"}">${a.Status}</span>${" "}
        · SCPs: <${Policies} list=${a.policies} />
      </li>`)}
      ${n.children.map((c) => html`<${Tree} n=${c} />`)}
    </ul>
  </li>`;
}

export function OrgPage() {
  const r = useLoad(loadOrg, []);
  return html`<${Section} title="Organization" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="the organization" />` : null}
    ${r.data ? html`<p>Organization <span class="mono">${r.data.Organization.Id}</span>, management account${" "}
      <a href=${"#/org/account/" + r.data.Organization.MasterAccountId}>${r.data.Organization.MasterAccountId}</a>${" "}
      (${r.data.Organization.MasterAccountEmail}), feature set ${r.data.Organization.FeatureSet}.</p>
      <ul class="tree" aria-label="Organization tree">${r.data.roots.map((n) => html`<${Tree} n=${n} />`)}</ul>` : null}
  <//>`;
}

// Who a trust policy lets assume the role: the principals of its Allow statements for
// sts:AssumeRole*, with their conditions.
export function trustees(docText) {
  let doc;
  try {
    doc = JSON.parse(decodeURIComponent(docText || ""));
  } catch {
    return [];
  }
  const out = [];
  for (const s of [].concat(doc.Statement || [])) {
    const acts = [].concat(s.Action || []);
    if (s.Effect !== "Allow" || !acts.some((a) => /^sts:(AssumeRole|\*)|^\*$/i.test(a))) continue;
    const p = s.Principal === "*" ? { AWS: "*" } : s.Principal || {};
    for (const [kind, v] of Object.entries(p))
      for (const who of [].concat(v)) out.push({ kind, who, actions: acts.join(", "), cond: s.Condition });
  }
  return out;
}

function Roles({ account }) {
  const r = useLoad(() => all(async (t) => {
    const o = await send(IAMClient, new ListRolesCommand({ Marker: t }), "us-east-1");
    return [o.Roles, o.IsTruncated ? o.Marker : null];
  }), [account]);
  return html`<${Section} title="Roles and who may assume them">
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="roles" />` : null}
    ${r.data ? html`<table>
      <caption class="sr-only">Roles of account ${account}</caption>
      <thead><tr><th scope="col">Role</th><th scope="col">Trusted principals (trust policy)</th><th scope="col">Created</th></tr></thead>
      <tbody>${r.data.map((role) => html`<tr>
        <th scope="row"><span title=${role.Arn}>${role.Path !== "/" ? role.Path : ""}${role.RoleName}</span>
          ${role.Description ? html`<div class="muted">${role.Description}</div>` : null}</th>
        <td><ul class="plain">${trustees(role.AssumeRolePolicyDocument).map((t) => html`<li>
          <span class="chip">${t.kind}</span> <span class="mono">${t.who}</span>${" "}
          <span class="muted">${t.actions}</span>
          ${t.cond ? html`<div class="muted mono small">if ${JSON.stringify(t.cond)}</div>` : null}
        </li>`)}</ul></td>
        <td>${when(role.CreateDate)}</td>
      </tr>`)}</tbody>
    </table>` : null}
  <//>`;
}

export function AccountPage({ id }) {
  const acct = useLoad(async () => {
    const [{ Account }, policies] = await Promise.all([
      org(new DescribeAccountCommand({ AccountId: id })), scps(id)]);
    return { Account, policies };
  }, [id]);
  const me = session.role()?.account;
  const here = useLoad(whoami, [id]);
  const inside = here.data && here.data.Account === id;
  return html`<div>
    <${Section} title=${"Account " + id}>
      <p><a href="#/org">← Organization</a></p>
      ${acct.error ? html`<p class="muted">The organization's view of this account:</p><${ErrorBox} error=${acct.error} />` : null}
      ${acct.data ? html`<dl class="facts">
        <dt>Name</dt><dd>${acct.data.Account.Name}</dd>
        <dt>Email</dt><dd>${acct.data.Account.Email}</dd>
        <dt>Status</dt><dd>${acct.data.Account.Status}</dd>
        <dt>Joined</dt><dd>${acct.data.Account.JoinedMethod} ${when(acct.data.Account.JoinedTimestamp)}</dd>
        <dt>SCPs</dt><dd><${Policies} list=${acct.data.policies} /></dd>
      </dl>` : null}
    <//>
    ${inside ? html`<${Roles} account=${id} />` : here.data ? html`<${Section} title="Roles">
      <p>You are signed in to account ${here.data.Account}${me ? " (assumed role)" : ""}; an account's roles are read from inside it.</p>
      <p><a class="button" href=${"#/switch-role?account=" + id}>Switch role into ${id}</a></p>
    <//>` : null}
  </div>`;
}
