// Messaging: topics with their subscriptions (cross-account ones marked), queues with their
// depth; a queue's page sends, peeks at and receives messages, and a dead-letter queue's
// redrives them (StartMessageMoveTask).
import { SNSClient, ListTopicsCommand, ListSubscriptionsByTopicCommand } from "@aws-sdk/client-sns";
import {
  SQSClient, ListQueuesCommand, GetQueueAttributesCommand, GetQueueUrlCommand, SendMessageCommand,
  ReceiveMessageCommand, DeleteMessageCommand, ListDeadLetterSourceQueuesCommand,
  StartMessageMoveTaskCommand, ListMessageMoveTasksCommand,
} from "@aws-sdk/client-sqs";
import { useState } from "preact/hooks";
import { html, useLoad, useAction, ErrorBox, Loading, Section, Detail, Status, all, when } from "./ui.js";
import { send } from "./aws.js";

const sqs = (cmd) => send(SQSClient, cmd);
const qname = (urlOrArn) => urlOrArn.split(/[/:]/).pop();
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
    const urls = await all(async (t) => { const o = await sqs(new ListQueuesCommand({ NextToken: t })); return [o.QueueUrls, o.NextToken]; });
    return Promise.all(urls.map(async (u) => ({
      url: u,
      attrs: (await sqs(new GetQueueAttributesCommand({ QueueUrl: u, AttributeNames: ["All"] }))).Attributes || {},
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
        <tbody>${queues.data.map((q) => html`<tr><th scope="row" title=${q.url}><a href=${"#/messaging/queue/" + encodeURIComponent(qname(q.url))}>${qname(q.url)}</a></th>
          <td>${q.attrs.ApproximateNumberOfMessages}</td><td>${q.attrs.ApproximateNumberOfMessagesNotVisible}</td>
          <td>${q.attrs.ApproximateNumberOfMessagesDelayed}</td>
          <td class="mono small">${q.attrs.RedrivePolicy ? JSON.parse(q.attrs.RedrivePolicy).deadLetterTargetArn : ""}</td></tr>`)}</tbody></table>` : null}
      ${queues.data && !queues.data.length ? html`<p class="muted">No queues.</p>` : null}
    <//>
  </div>`;
}

async function loadQueue(name) {
  const { QueueUrl: url } = await sqs(new GetQueueUrlCommand({ QueueName: name }));
  const [attrs, sources] = await Promise.all([
    sqs(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ["All"] })),
    all(async (t) => { const o = await sqs(new ListDeadLetterSourceQueuesCommand({ QueueUrl: url, NextToken: t })); return [o.queueUrls, o.NextToken]; }),
  ]);
  const a = attrs.Attributes || {};
  const tasks = sources.length
    ? (await sqs(new ListMessageMoveTasksCommand({ SourceArn: a.QueueArn, MaxResults: 10 }))).Results || []
    : [];
  return { url, attrs: a, sources, tasks };
}

function SendForm({ url, fifo, onSent }) {
  const [body, setBody] = useState("");
  const [group, setGroup] = useState("");
  const act = useAction(async () => {
    const r = await sqs(new SendMessageCommand({
      QueueUrl: url, MessageBody: body,
      ...(fifo ? { MessageGroupId: group || "console", MessageDeduplicationId: String(Date.now()) } : {}),
    }));
    setBody("");
    onSent(r.MessageId);
  });
  return html`<form class="send" aria-label="Send a message" onSubmit=${(e) => { e.preventDefault(); act.run(); }}>
    <label>Message body<textarea name="body" rows="3" required value=${body} onInput=${(e) => setBody(e.target.value)} /></label>
    ${fifo ? html`<label>Message group ID<input value=${group} onInput=${(e) => setGroup(e.target.value)} placeholder="console" /></label>` : null}
    <button type="submit" disabled=${act.busy}>Send message</button>
    <${ErrorBox} error=${act.error} />
  </form>`;
}

// Peek: ReceiveMessage with VisibilityTimeout 0 (the messages stay visible; their receive
// counts still grow, as in AWS). Receive: the queue's own visibility timeout, and Delete.
function Poll({ url, onChange }) {
  const [got, setGot] = useState(null);
  const act = useAction(async (mode) => {
    const r = await sqs(new ReceiveMessageCommand({
      QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ["All"],
      MessageAttributeNames: ["All"], ...(mode === "peek" ? { VisibilityTimeout: 0 } : {}),
    }));
    setGot({ mode, messages: r.Messages || [] });
    onChange();
  });
  const del = useAction(async (m) => {
    await sqs(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle }));
    setGot((g) => ({ ...g, messages: g.messages.filter((x) => x !== m) }));
    onChange();
  });
  return html`<div>
    <div class="actions">
      <button type="button" class="peek" disabled=${act.busy} onClick=${() => act.run("peek")}>Peek at messages</button>
      <button type="button" class="receive" disabled=${act.busy} onClick=${() => act.run("receive")}>Receive messages</button>
    </div>
    <${ErrorBox} error=${act.error || del.error} />
    ${got && !got.messages.length ? html`<p class="muted">No messages available.</p>` : null}
    ${got?.messages.length ? html`<table class="messages" aria-label="Messages">
      <thead><tr><th scope="col">Message</th><th scope="col">Body</th><th scope="col">Receive count</th><th scope="col">Sent</th>${got.mode === "receive" ? html`<th scope="col"><span class="sr-only">Delete</span></th>` : null}</tr></thead>
      <tbody>${got.messages.map((m) => html`<tr>
        <th scope="row" class="mono small">${m.MessageId}</th><td class="mono small body">${m.Body}</td>
        <td>${m.Attributes?.ApproximateReceiveCount}</td><td class="small">${when(Number(m.Attributes?.SentTimestamp))}</td>
        ${got.mode === "receive" ? html`<td><button type="button" class="bad" disabled=${del.busy} onClick=${() => del.run(m)}>Delete</button></td>` : null}
      </tr>`)}</tbody></table>` : null}
  </div>`;
}

function Redrive({ q, onChange }) {
  const [dest, setDest] = useState("");
  const act = useAction(async () => {
    await sqs(new StartMessageMoveTaskCommand({ SourceArn: q.attrs.QueueArn, ...(dest ? { DestinationArn: dest } : {}) }));
    onChange();
  });
  return html`<${Section} title="Dead-letter queue redrive">
    <p>This queue is the dead-letter queue of${" "}
      ${q.sources.map((u, i) => html`${i ? ", " : ""}<a href=${"#/messaging/queue/" + encodeURIComponent(qname(u))}>${qname(u)}</a>`)}.</p>
    <form class="search" aria-label="Redrive" onSubmit=${(e) => { e.preventDefault(); act.run(); }}>
      <label>Destination<select value=${dest} onChange=${(e) => setDest(e.target.value)}>
        <option value="">the source queues (where each message came from)</option>
        ${q.sources.map((u) => html`<option value=${arnOf(q.attrs.QueueArn, qname(u))}>${qname(u)}</option>`)}
      </select></label>
      <button type="submit" disabled=${act.busy}>Start DLQ redrive</button>
    </form>
    <${ErrorBox} error=${act.error} />
    ${q.tasks.length ? html`<table aria-label="Move tasks"><thead><tr><th scope="col">Started</th><th scope="col">Status</th><th scope="col">Moved</th><th scope="col">Destination</th></tr></thead>
      <tbody>${q.tasks.map((t) => html`<tr><td>${when(t.StartedTimestamp)}</td><td><${Status} value=${t.Status} />${t.FailureReason ? " " + t.FailureReason : ""}</td>
        <td>${t.ApproximateNumberOfMessagesMoved} of ${t.ApproximateNumberOfMessagesToMove}</td><td class="mono small">${t.DestinationArn || "source queues"}</td></tr>`)}</tbody></table>` : null}
  <//>`;
}

// A queue's ARN beside another of the same account and region.
const arnOf = (sibling, name) => sibling.replace(/[^:]+$/, name);

export function QueuePage({ name }) {
  const r = useLoad(() => loadQueue(name), [name],
    (d) => Number(d.attrs.ApproximateNumberOfMessagesNotVisible) > 0 || Number(d.attrs.ApproximateNumberOfMessagesDelayed) > 0 ||
           d.tasks.some((t) => t.Status === "RUNNING"));
  const q = r.data;
  let redrive = null;
  try { redrive = q?.attrs.RedrivePolicy ? JSON.parse(q.attrs.RedrivePolicy) : null; } catch { /* shown raw */ }
  return html`<div>
    <${Detail} title=${"Queue " + name} back="#/messaging" backLabel="Messaging" r=${r} what="the queue">
      ${q ? html`<dl class="facts">
        <dt>ARN</dt><dd class="mono small">${q.attrs.QueueArn}</dd>
        <dt>Messages</dt><dd data-testid="depth">${q.attrs.ApproximateNumberOfMessages} available, ${q.attrs.ApproximateNumberOfMessagesNotVisible} in flight, ${q.attrs.ApproximateNumberOfMessagesDelayed} delayed</dd>
        <dt>Visibility timeout</dt><dd>${q.attrs.VisibilityTimeout} s</dd>
        <dt>Retention</dt><dd>${q.attrs.MessageRetentionPeriod} s</dd>
        ${redrive ? html`<dt>Dead-letter queue</dt><dd><a href=${"#/messaging/queue/" + encodeURIComponent(qname(redrive.deadLetterTargetArn || ""))}>${qname(redrive.deadLetterTargetArn || "")}</a> after ${redrive.maxReceiveCount} receives</dd>` : null}
      </dl>` : null}
    <//>
    ${q ? html`<${Section} title="Send and receive messages">
      <${SendForm} url=${q.url} fifo=${q.attrs.FifoQueue === "true"} onSent=${r.reload} />
      <${Poll} url=${q.url} onChange=${r.reload} />
    <//>
    ${q.sources.length ? html`<${Redrive} q=${q} onChange=${r.reload} />` : null}` : null}
  </div>`;
}
