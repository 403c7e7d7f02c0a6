// Stacks (resources, events live, outputs) and messaging (topics with their subscriptions,
// queues with their depth).
import {
  CloudFormationClient, DescribeStacksCommand, ListStackResourcesCommand,
  DescribeStackEventsCommand, ListExportsCommand, ListChangeSetsCommand,
} from "@aws-sdk/client-cloudformation";
import { SNSClient, ListTopicsCommand, ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import { SQSClient, ListQueuesCommand, GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { html, useLoad, ErrorBox, Loading, Section, Status, all, when } from "./ui.js";
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
  return html`<div><${StackList} /><${Exports} /></div>`;
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
      <thead><tr><th scope="col">Stack</th><th scope="col">Status</th><th scope="col">Created</th><th scope="col">Updated</th></tr></thead>
      <tbody>${r.data.map((s) => html`<tr>
        <th scope="row"><a href=${"#/stacks/" + encodeURIComponent(s.StackName)}>${s.StackName}</a></th>
        <td><${Status} value=${s.StackStatus} /> <span class="small">${s.StackStatusReason || ""}</span></td>
        <td>${when(s.CreationTime)}</td><td>${when(s.LastUpdatedTime)}</td>
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
    <${Section} title=${"Stack " + name} actions=${html`<button type="button" onClick=${r.reload}>Refresh</button>`}>
      <p><a href="#/stacks">← Stacks</a></p>
      <${ErrorBox} error=${r.error} />
      ${r.loading ? html`<${Loading} what="the stack" />` : null}
      ${s ? html`<dl class="facts">
        <dt>Status</dt><dd><${Status} value=${s.StackStatus} /> ${s.StackStatusReason || ""}</dd>
        <dt>Id</dt><dd class="mono small">${s.StackId}</dd>
        ${s.Description ? html`<dt>Description</dt><dd>${s.Description}</dd>` : null}
      </dl>` : null}
    <//>
    ${s ? html`<${Section} title="Outputs">
      ${(s.Outputs || []).length ? html`<table><thead><tr><th scope="col">Key</th><th scope="col">Value</th><th scope="col">Export</th></tr></thead>
        <tbody>${s.Outputs.map((o) => html`<tr><th scope="row">${o.OutputKey}</th><td class="mono small">${o.OutputValue}</td><td>${o.ExportName || ""}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No outputs.</p>`}
    <//>
    <${Section} title="Resources">
      <table><thead><tr><th scope="col">Logical id</th><th scope="col">Physical id</th><th scope="col">Type</th><th scope="col">Status</th></tr></thead>
        <tbody>${r.data.resources.map((x) => html`<tr><th scope="row">${x.LogicalResourceId}</th><td class="mono small">${x.PhysicalResourceId}</td><td>${x.ResourceType}</td><td><${Status} value=${x.ResourceStatus} /></td></tr>`)}</tbody></table>
    <//>
    <${Section} title="Change sets">
      ${r.data.changeSets.length ? html`<table><thead><tr><th scope="col">Name</th><th scope="col">Status</th><th scope="col">Execution</th><th scope="col">Created</th></tr></thead>
        <tbody>${r.data.changeSets.map((x) => html`<tr><th scope="row">${x.ChangeSetName}</th><td><${Status} value=${x.Status} /> <span class="small">${x.StatusReason || ""}</span></td>
          <td>${x.ExecutionStatus}</td><td>${when(x.CreationTime)}</td></tr>`)}</tbody></table>`
        : html`<p class="muted">No change sets.</p>`}
    <//>
    <${Section} title="Events">
      <table><thead><tr><th scope="col">Time</th><th scope="col">Logical id</th><th scope="col">Status</th><th scope="col">Reason</th></tr></thead>
        <tbody>${r.data.events.map((x) => html`<tr><td class="small">${when(x.Timestamp)}</td><th scope="row">${x.LogicalResourceId}</th><td><${Status} value=${x.ResourceStatus} /></td><td class="small">${x.ResourceStatusReason || ""}</td></tr>`)}</tbody></table>
    <//>` : null}
  </div>`;
}

const acctOf = (arn) => (arn || "").split(":")[4] || "";

export function MessagingPage() {
  const topics = useLoad(async () => {
    const list = await all(async (t) => { const o = await send(SNSClient, new ListTopicsCommand({ NextToken: t })); return [o.Topics, o.NextToken]; });
    return Promise.all(list.map(async (t) => ({
      arn: t.TopicArn,
      subs: await all(async (n) => { const o = await send(SNSClient, new ListSubscriptionsByTopicCommand({ TopicArn: t.TopicArn, NextToken: n })); return [o.Subscriptions, o.NextToken]; }),
    })));
  }, []);
  const queues = useLoad(async () => {
    const urls = await all(async (t) => { const o = await send(SQSClient, new ListQueuesCommand({ NextToken: t })); return [o.QueueUrls, o.NextToken]; });
    return Promise.all(urls.map(async (u) => ({
      url: u,
      attrs: (await send(SQSClient, new GetQueueAttributesCommand({ QueueUrl: u, AttributeNames: ["All"] }))).Attributes || {},
    })));
  }, [], (d) => d.length > 0); // depths change on their own: live while there are queues
  return html`<div>
    <${Section} title="Topics">
      <${ErrorBox} error=${topics.error} />
      ${topics.loading ? html`<${Loading} what="topics" />` : null}
      ${topics.data ? html`<ul class="plain">${topics.data.map((t) => html`<li class="topic">
        <strong>${t.arn.split(":").pop()}</strong> <span class="mono small muted">${t.arn}</span>
        <ul>${t.subs.map((s) => html`<li><span class="chip">${s.Protocol}</span> <span class="mono small">${s.Endpoint}</span>
          ${acctOf(s.Endpoint) && acctOf(s.Endpoint) !== acctOf(t.arn) ? html` <span class="chip warn">cross-account</span>` : null}
          ${s.SubscriptionArn === "PendingConfirmation" ? html` <span class="muted">pending confirmation</span>` : null}</li>`)}
          ${!t.subs.length ? html`<li class="muted">no subscriptions</li>` : null}</ul>
      </li>`)}</ul>` : null}
      ${topics.data && !topics.data.length ? html`<p class="muted">No topics.</p>` : null}
    <//>
    <${Section} title="Queues">
      <${ErrorBox} error=${queues.error} />
      ${queues.loading ? html`<${Loading} what="queues" />` : null}
      ${queues.data?.length ? html`<table><thead><tr><th scope="col">Queue</th><th scope="col">Available</th><th scope="col">In flight</th><th scope="col">Delayed</th><th scope="col">Dead-letter target</th></tr></thead>
        <tbody>${queues.data.map((q) => html`<tr><th scope="row" title=${q.url}>${q.url.split("/").pop()}</th>
          <td>${q.attrs.ApproximateNumberOfMessages}</td><td>${q.attrs.ApproximateNumberOfMessagesNotVisible}</td>
          <td>${q.attrs.ApproximateNumberOfMessagesDelayed}</td>
          <td class="mono small">${q.attrs.RedrivePolicy ? JSON.parse(q.attrs.RedrivePolicy).deadLetterTargetArn : ""}</td></tr>`)}</tbody></table>` : null}
      ${queues.data && !queues.data.length ? html`<p class="muted">No queues.</p>` : null}
    <//>
  </div>`;
}
