// The audit trail: CloudTrail LookupEvents over ferry's trail of the account signed in to
// (every call, allowed or refused, is an event there), searched by event name, principal,
// error code and time; refusals highlighted with the decision that made them: ferry's policy
// engine records it in the event's additionalEventData ("ferry:decision": the deciding policy
// and statement of an explicit Deny, the layer with no Allow of an implicit one). Events
// without it (credentials refused before any policy was read) are explained from AWS's
// wording. A refusal also links to the policy simulator with its principal, action and resource.
import { CloudTrailClient, LookupEventsCommand } from "@aws-sdk/client-cloudtrail";
import { useState } from "preact/hooks";
import { html, useLoad, ErrorBox, Loading, Section, when } from "./ui.js";
import { send, whoami } from "./aws.js";
import { simHref, simPrincipal } from "./iam.js";

const KEYS = ["EventName", "Username", "AccessKeyId", "EventSource", "ResourceName",
              "ResourceType", "ReadOnly", "EventId"];
const PAGES = 10; // at most this many pages of 50 when filtering in the browser

// What decided a refusal, from its message as ferry's policy engine words it (as AWS does):
// for events without the engine's own record of it.
export function decision(ev) {
  const m = ev.errorMessage || "";
  const code = ev.errorCode || "";
  let x = m.match(/with an explicit deny in an? (.+?)(?:\.|$)/);
  if (x) return `An explicit Deny in ${x[1].startsWith("identity") ? "an" : "a"} ${x[1]} matched this request: a Deny always wins.`;
  x = m.match(/because no (.+?) allows the (\S+) action/);
  if (x) return `Implicit deny: no ${x[1]} allows ${x[2]}. Without an Allow, every request is refused.`;
  if (/is not authorized to perform: sts:AssumeRole/.test(m))
    return "The role's trust policy does not let this principal assume it, or the principal's own policies do not allow sts:AssumeRole on it.";
  if (/InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken/.test(code))
    return "The request's credentials were refused before any policy was evaluated.";
  return null;
}

// The action and resource a refusal names ("... perform: ACTION on resource: RES because/with").
function refusedCall(msg) {
  const m = (msg || "").match(/perform: (\S+?)(?: on resource: (\S+?))?(?: because| with|\.?$)/);
  return m ? { action: m[1], resource: m[2] } : null;
}

export const refused = (ev) => /AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken/i.test(ev.errorCode || "");

function dateOrUndef(v) {
  if (!v) return undefined;
  const d = new Date(v);
  return isNaN(d) ? undefined : d;
}

async function search(q) {
  const attr = q.get("key") && q.get("value") ? [{ AttributeKey: q.get("key"), AttributeValue: q.get("value") }] : undefined;
  const principal = (q.get("principal") || "").toLowerCase();
  const error = q.get("error") || "";
  const filtering = principal || error;
  let events = [], token, pages = 0;
  do {
    const r = await send(CloudTrailClient, new LookupEventsCommand({
      LookupAttributes: attr, StartTime: dateOrUndef(q.get("start")), EndTime: dateOrUndef(q.get("end")),
      MaxResults: 50, NextToken: token,
    }));
    token = r.NextToken;
    pages++;
    for (const e of r.Events || []) {
      let ev = {};
      try { ev = JSON.parse(e.CloudTrailEvent || "{}"); } catch { /* shown without detail */ }
      const who = ev.userIdentity?.arn || e.Username || "";
      if (principal && !who.toLowerCase().includes(principal)) continue;
      if (error === "*refused*" ? !refused(ev) : error && ev.errorCode !== error) continue;
      events.push({ e, ev, who });
    }
  } while (token && filtering && pages < PAGES && events.length < 50);
  return { events, more: !!token };
}

const POLICY_TYPE = { identity: "identity-based policy", resource: "resource-based policy",
  permissionsBoundary: "permissions boundary", session: "session policy",
  scp: "service control policy", rcp: "resource control policy" };

// A link to the console's page of an IAM user or role (ARN), or of a customer managed policy.
function iamLink(arn) {
  const m = (arn || "").match(/^arn:aws:iam::\d{12}:(user|role|policy)\/(?:.*\/)?([^/]+)$/);
  return m ? html`<a class="mono" href=${`#/iam/${m[1]}/${encodeURIComponent(m[2])}`}>${arn}</a>`
           : html`<span class="mono">${arn}</span>`;
}

// The deciding policy of an explicit Deny, as the engine recorded it.
function PolicyOf({ p, type }) {
  if (p.resource) return html`the ${p.trust ? "trust policy" : "resource-based policy"} of ${iamLink(p.resource)}`;
  const named = p.arn ? iamLink(p.arn) : html`<span class="mono">${p.name || p.id}</span>`;
  return html`${p.inline ? "inline " : ""}${POLICY_TYPE[type] || type} ${named}${
    p.attachedTo ? html` ${type === "scp" || type === "rcp" ? "attached to" : "of"} ${iamLink(p.attachedTo)}` : null}`;
}

// The engine's record of a refusal (additionalEventData "ferry:decision").
function Decision({ d }) {
  const st = d.statement;
  return html`<div class="why decision"><span class="sr-only">Decision: </span>
    <div>${d.type === "explicitDeny" ? "Explicit Deny" : "Implicit deny (no Allow)"} · ${
      d.trust || d.policy?.trust ? "trust policy" : POLICY_TYPE[d.policyType] || d.policyType}</div>
    ${d.policy ? html`<dl class="facts small">
      <dt>Policy</dt><dd><${PolicyOf} p=${d.policy} type=${d.policyType} /></dd>
      <dt>Statement</dt><dd>${st?.sid ? html`Sid <code>${st.sid}</code> · ` : null}<code>Statement[${st?.index}]</code></dd>
    </dl>` : d.attachedTo ? html`<dl class="facts small"><dt>Layer</dt><dd>${iamLink(d.attachedTo)}</dd></dl>` : null}
    <div class="small explanation">${d.explanation}</div>
  </div>`;
}

function Row({ e, ev, who }) {
  const no = refused(ev);
  const engine = no ? ev.additionalEventData?.["ferry:decision"] : null;
  const why = no && !engine ? decision(ev) : null;
  const sim = no && /:(user|role|assumed-role)\//.test(who) ? refusedCall(ev.errorMessage) : null;
  return html`<tr class=${no ? "refused" : ev.errorCode ? "failed" : ""}>
    <td class="small">${when(e.EventTime)}</td>
    <th scope="row">${e.EventName} <div class="muted small">${e.EventSource}</div></th>
    <td class="mono small">${who}</td>
    <td class="small">${ev.awsRegion} · ${ev.sourceIPAddress}</td>
    <td>${ev.errorCode ? html`<strong class="code">${ev.errorCode}</strong>
      <div class="small">${ev.errorMessage}</div>
      ${engine ? html`<${Decision} d=${engine} />` : null}
      ${why ? html`<div class="why"><span class="sr-only">Decision: </span>${why}</div>` : null}
      ${sim ? html`<div class="small"><a class="simulate" href=${simHref(simPrincipal(who), sim.action) + (sim.resource ? "&resources=" + encodeURIComponent(sim.resource) : "")}>Simulate this request</a></div>` : null}` : html`<span class="status ok">OK</span>`}</td>
  </tr>`;
}

export function TrailPage({ query }) {
  const me = useLoad(whoami, []);
  const r = useLoad(() => search(query), [query.toString()]);
  const [form, setForm] = useState({ key: "EventName", ...Object.fromEntries(query.entries()) });
  const set = (k) => (ev) => setForm({ ...form, [k]: ev.target.value });
  function submit(ev) {
    ev.preventDefault();
    const q = new URLSearchParams(Object.entries(form).filter(([, v]) => v));
    location.hash = "#/trail?" + q.toString();
  }
  return html`<div>
    <${Section} title="Audit trail">
      <p class="muted">Events of account <strong>${me.data?.Account || "…"}</strong> in this region
        (LookupEvents). Another account's trail: <a href="#/switch-role">switch role</a> into it.</p>
      <form class="search" onSubmit=${submit} aria-label="Search the trail">
        <label>Attribute<select value=${form.key || "EventName"} onChange=${set("key")}>
          ${KEYS.map((k) => html`<option value=${k}>${k}</option>`)}</select></label>
        <label>Value<input name="value" value=${form.value || ""} onInput=${set("value")} placeholder="AssumeRole" /></label>
        <label>Principal ARN contains<input name="principal" value=${form.principal || ""} onInput=${set("principal")} /></label>
        <label>Error code<select value=${form.error || ""} onChange=${set("error")}>
          <option value="">any outcome</option>
          <option value="*refused*">refusals only</option>
          ${["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId", "ValidationError", "NoSuchEntity"].map((c) => html`<option value=${c}>${c}</option>`)}
        </select></label>
        <label>From<input type="datetime-local" value=${form.start || ""} onInput=${set("start")} /></label>
        <label>To<input type="datetime-local" value=${form.end || ""} onInput=${set("end")} /></label>
        <button type="submit">Search</button>
      </form>
    <//>
    <${Section} title="Events" actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
      <${ErrorBox} error=${r.error} />
      ${r.loading ? html`<${Loading} what="events" />` : null}
      ${r.data ? html`<table class="trail">
        <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">Principal</th><th scope="col">Where</th><th scope="col">Outcome</th></tr></thead>
        <tbody>${r.data.events.map((x) => html`<${Row} ...${x} />`)}</tbody>
      </table>
      ${!r.data.events.length ? html`<p class="muted">No events match.</p>` : null}
      ${r.data.more ? html`<p class="muted small">Older events exist: narrow the time range to see them.</p>` : null}` : null}
    <//>
  </div>`;
}
