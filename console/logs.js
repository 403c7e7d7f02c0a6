// CloudWatch Logs, as the pages that show a run's output read them: one stream from its
// start (a build's log), or a function's recent invocations (its log group's last streams,
// cut into invocations at Lambda's START/END/REPORT lines).
import {
  CloudWatchLogsClient, GetLogEventsCommand, DescribeLogStreamsCommand,
} from "@aws-sdk/client-cloudwatch-logs";
import { html, useLoad, ErrorBox, Loading, when } from "./ui.js";
import { send } from "./aws.js";

const logs = (cmd, region) => send(CloudWatchLogsClient, cmd, region);
const MAX_PAGES = 10; // of up to 10,000 events: a tail that long is read in the Logs API

// Every event of group/stream from its head (a stream that does not exist yet is empty:
// a build or invocation that has not written anything).
export async function streamEvents(group, stream, region) {
  let out = [], token;
  for (let i = 0; i < MAX_PAGES; i++) {
    let r;
    try {
      r = await logs(new GetLogEventsCommand({ logGroupName: group, logStreamName: stream,
                                               startFromHead: true, nextToken: token }), region);
    } catch (e) {
      if (e.name === "ResourceNotFoundException") return out;
      throw e;
    }
    out = out.concat(r.events || []);
    if (!r.events?.length || r.nextForwardToken === token) break;
    token = r.nextForwardToken;
  }
  return out;
}

// The log of one stream, refreshed while live is true.
export function LogTail({ group, stream, live, region }) {
  const r = useLoad(async () => ({ events: await streamEvents(group, stream, region) }),
                    [group, stream, region], () => !!live);
  return html`<div class="log">
    <div class="muted small">Log group <span class="mono">${group}</span>, stream <span class="mono">${stream}</span></div>
    <${ErrorBox} error=${r.error} />
    ${r.loading ? html`<${Loading} what="the log" />` : null}
    ${r.data ? html`<pre class="logtext" tabindex="0" aria-label="Log">${r.data.events.length
      ? r.data.events.map((e) => e.message.replace(/\n$/, "")).join("\n")
      : "(nothing logged yet)"}</pre>` : null}
  </div>`;
}

// A function's recent invocations: the newest streams of /aws/lambda/NAME, each cut at
// "START RequestId: " lines. Returns [{requestId, stream, start, lines, report, error}].
export async function invocations(fn, streams = 5) {
  const group = "/aws/lambda/" + fn;
  let list;
  try {
    list = (await logs(new DescribeLogStreamsCommand({ logGroupName: group, orderBy: "LastEventTime",
                                                       descending: true, limit: streams }))).logStreams || [];
  } catch (e) {
    if (e.name === "ResourceNotFoundException") return [];
    throw e;
  }
  const out = [];
  for (const s of list) {
    let cur = null;
    for (const e of await streamEvents(group, s.logStreamName)) {
      const m = e.message.match(/^START RequestId: (\S+)/);
      if (m) {
        cur = { requestId: m[1], stream: s.logStreamName, start: e.timestamp, lines: [] };
        out.push(cur);
      }
      if (!cur) continue;
      cur.lines.push(e.message.replace(/\n$/, ""));
      if (/^REPORT RequestId:/.test(e.message)) cur.report = e.message.trim();
      if (/"errorType"|Task timed out|Runtime\.\w+Error|Traceback/.test(e.message)) cur.error = true;
    }
  }
  return out.sort((a, b) => b.start - a.start);
}

// One invocation: its log shown (open), or behind a disclosure.
export function Invocation({ x, open }) {
  const dur = x.report?.match(/Duration: ([\d.]+ ms)/);
  const head = html`<span class="mono small">${x.requestId}</span> · ${when(x.start)}${" "}
    ${x.report ? html`<span class=${"status " + (x.error ? "bad" : "ok")}>${x.error ? "Error" : "Done"}</span> <span class="small">${dur ? dur[1] : ""}</span>`
               : html`<span class="status run">Running</span>`}`;
  const log = html`<pre class="logtext" tabindex="0">${x.lines.join("\n")}</pre>`;
  if (open) return html`<div class="invocation"><div>${head}</div>${log}</div>`;
  return html`<details class="invocation"><summary>${head}</summary>${log}</details>`;
}
