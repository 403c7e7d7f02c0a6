// Drives ferry's web console in Debian's headless Chromium (puppeteer-core; nothing downloads a
// browser), for tests/clients/test_console.py: sign in, switch role, watch a pipeline, approve
// and reject, retry a failed stage and read its build's log, functions and builds, find a
// refusal in the trail and simulate it, IAM, stacks and a StackSet's grid, messages (send,
// peek, receive, redrive), and see AccessDenied as a principal without permissions.
// Environment: FERRY_ENDPOINT, CONSOLE_SETUP (JSON from the test), CONSOLE_SHOTS (a directory
// for one screenshot per page), CHROMIUM (default /usr/bin/chromium). Prints a JSON line of
// figures on success; any failed step throws (exit 1) with the page's text.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";

const require = createRequire(process.env.NODE_PATH + "/");
const puppeteer = require("puppeteer-core");
const { S3Client, PutObjectCommand } = require("@aws-sdk/client-s3");
const base = process.env.FERRY_ENDPOINT + "/_ferry/console/";
const setup = JSON.parse(process.env.CONSOLE_SETUP);
const shots = process.env.CONSOLE_SHOTS;
fs.mkdirSync(shots, { recursive: true });
const T = 20000;
const t0 = Date.now();
const lap = (what) => console.error(`${((Date.now() - t0) / 1000).toFixed(1)}s ${what}`);

const browser = await puppeteer.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"],
});
const figures = {};
let page;
try {
  page = await browser.newPage();
  await page.setViewport({ width: 1366, height: 900 });
  const consoleErrors = [];
  page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  page.on("pageerror", (e) => consoleErrors.push(String(e)));

  const shot = (name) => page.screenshot({ path: path.join(shots, name + ".png"), fullPage: true });
  const text = () => page.evaluate(() => document.body.innerText);
  // waits until the page's text matches re (the pages refresh themselves while things run)
  const until = (re, timeout = T) => page.waitForFunction(
    (src, flags) => new RegExp(src, flags).test(document.body.innerText), { timeout, polling: 100 },
    re.source, re.flags);
  const go = async (hash) => { await page.evaluate((h) => { location.hash = h; }, hash); };
  async function signIn(akid, secret) {
    await page.waitForSelector('form[aria-label="Sign in"]', { timeout: T });
    await page.type('input[name="akid"]', akid);
    await page.type('input[name="secret"]', secret);
    await page.click('form[aria-label="Sign in"] button[type="submit"]');
    await page.waitForSelector('[data-testid="identity"]', { timeout: T });
    await until(/arn:aws:(iam|sts)::\d{12}:/);
  }

  // first visit (no HTTP cache; the browser and its renderer already up): navigation start
  // to the first render of the sign-in form
  await page.goto("about:blank");
  await page.setCacheEnabled(false);
  await page.goto(base, { waitUntil: "load" });
  await page.waitForSelector('form[aria-label="Sign in"]', { timeout: T });
  figures.interactive_ms = await page.evaluate(
    () => performance.getEntriesByName("ferry-console-interactive")[0]?.startTime ?? -1);
  figures.transfer_bytes = await page.evaluate(() => performance.getEntriesByType("resource")
    .concat(performance.getEntriesByType("navigation")).reduce((n, e) => n + (e.transferSize || 0), 0));
  await page.setCacheEnabled(true);
  await page.reload({ waitUntil: "load" });
  // warm loads (revalidated: 304s), the median of three
  const warm = [];
  for (let i = 0; i < 3; i++) {
    await page.reload({ waitUntil: "load" });
    await page.waitForSelector('form[aria-label="Sign in"]', { timeout: T });
    warm.push(await page.evaluate(
      () => performance.getEntriesByName("ferry-console-interactive")[0]?.startTime ?? -1));
  }
  figures.warm_interactive_ms = warm.sort((a, b) => a - b)[1];
  await shot("01-sign-in"); lap("01-sign-in");

  // a wrong secret is refused as AWS refuses it
  await page.type('input[name="akid"]', setup.mgmt[0]);
  await page.type('input[name="secret"]', "not-the-secret");
  await page.click('form[aria-label="Sign in"] button[type="submit"]');
  await until(/SignatureDoesNotMatch/);
  await page.reload({ waitUntil: "load" });

  await signIn(...setup.mgmt);
  await until(new RegExp(setup.mgmt_account));
  const stored = await page.evaluate(() => Object.keys(localStorage).length);
  if (stored) throw new Error("credentials must not reach localStorage");

  await go("#/org");
  await until(new RegExp(`tools[\\s\\S]*${setup.tools}`));
  await until(/Sandbox[\s\S]*OU ou-/);
  await until(new RegExp(`${setup.tools}[^\n]*FullAWSAccess[^\n]*DenyLeavingTheOrg`));
  await shot("02-organization"); lap("02-organization");

  await go(`#/switch-role?account=${setup.tools}`);
  await page.waitForSelector('form[aria-label="Switch role"]', { timeout: T });
  await shot("03-switch-role");
  await page.click('form[aria-label="Switch role"] button[type="submit"]');
  await until(new RegExp(`arn:aws:sts::${setup.tools}:assumed-role/OrganizationAccountAccessRole/`));

  await go(`#/org/account/${setup.tools}`);
  await until(/Roles and who may assume them[\s\S]*OrganizationAccountAccessRole/);
  await until(new RegExp(`arn:aws:iam::${setup.mgmt_account}:root`));
  await shot("04-account-roles");

  await go("#/pipelines");
  await until(new RegExp(setup.pipeline));
  await shot("05-pipelines");

  await go(`#/pipelines/${setup.pipeline}`);
  // the execution runs on its own: the page refreshes until the approval waits
  const approve = await page.waitForSelector(".approval button.ok", { timeout: T });
  await shot("06-pipeline-approval"); lap("06-pipeline-approval");
  // the server cost of a live pipeline page: the API requests of one refresh (every 2 s)
  let calls = 0;
  const count = (rq) => { if (rq.method() === "POST") calls++; };
  page.on("request", count);
  await new Promise((r) => setTimeout(r, 2050));
  page.off("request", count);
  figures.requests_per_2s_refresh_of_a_live_pipeline = calls;
  await page.type(".approval textarea", "Looks good");
  await approve.click();
  await page.waitForFunction(() => {
    const row = document.querySelector("table tbody tr");
    return row && /Succeeded/.test(row.innerText) && !document.querySelector(".approval");
  }, { timeout: T, polling: 100 });
  await until(/Approved in the ferry console|Looks good/);
  await shot("07-pipeline-succeeded"); lap("07-pipeline-succeeded");

  // the next release waits at the approval again: rejected, its execution fails
  await page.click("button.release");
  await page.waitForFunction(() => {
    const row = document.querySelector("table.history tbody tr");
    return row && /InProgress/.test(row.innerText) && document.querySelector(".approval button.bad");
  }, { timeout: T, polling: 100 });
  await page.type(".approval textarea", "Not this one");
  await page.click(".approval button.bad");
  await page.waitForFunction(() => {
    const row = document.querySelector("table.history tbody tr");
    return row && /Failed/.test(row.innerText) && !document.querySelector(".approval");
  }, { timeout: T, polling: 100 });
  await until(/Rejected[\s\S]*Not this one|Not this one[\s\S]*Rejected/);
  await shot("08-pipeline-rejected"); lap("08-pipeline-rejected");

  // a failed stage (its source is missing), retried once the source exists; then the
  // CodeBuild action's log
  await go(`#/pipelines/${setup.build_pipeline}`);
  const retry = await page.waitForSelector("button.retry", { timeout: T });
  await until(/NoSuchKey/);
  await shot("09-pipeline-failed-stage");
  const s3 = new S3Client({ region: "us-east-1", endpoint: process.env.FERRY_ENDPOINT, forcePathStyle: true,
                            credentials: { accessKeyId: setup.tools_keys[0], secretAccessKey: setup.tools_keys[1] } });
  await s3.send(new PutObjectCommand({ Bucket: setup.build_bucket, Key: setup.build_key,
                                       Body: Buffer.from(setup.source_zip, "hex") }));
  await retry.click();
  await page.waitForFunction(() => {
    const row = document.querySelector("table.history tbody tr");
    return row && /Succeeded/.test(row.innerText) && !document.querySelector("button.retry");
  }, { timeout: T, polling: 100 });
  await page.evaluate(() => [...document.querySelectorAll("li.action button.link")].find((b) => b.innerText === "Logs").click());
  await until(/built by the console test/);
  await shot("10-pipeline-retried-logs"); lap("10-pipeline-retried-logs");
  await page.click("table.history tbody tr a");
  await until(/Execution [\s\S]*Source \/ Source[\s\S]*Build \/ Build[\s\S]*Build and its log/);
  await shot("11-pipeline-execution-actions");

  await go("#/functions");
  await until(new RegExp(`${setup.function}[\\s\\S]*${setup.project}\\s+CODEPIPELINE\\s+SUCCEEDED`));
  await shot("12-functions-and-builds");
  await go(`#/functions/${setup.function}`);
  await until(/START RequestId[\s\S]*hello from the console function[\s\S]*REPORT RequestId/);
  await shot("13-function-invocations");
  await go(`#/builds/${setup.project}`);
  await (await page.waitForSelector("table tbody tr a", { timeout: T })).click();
  await until(/Phases[\s\S]*BUILD\s+SUCCEEDED[\s\S]*Build log[\s\S]*built by the console test/);
  await shot("14-build-phases-logs"); lap("14-build-phases-logs");

  await go("#/trail?key=EventName&value=AssumeRole&error=*refused*");
  await page.waitForSelector("tr.refused .why", { timeout: T });
  const refusal = await page.$eval("tr.refused", (tr) => tr.innerText);
  if (!/AccessDenied/.test(refusal) || !refusal.includes(setup.intruder))
    throw new Error("refusal row: " + refusal);
  // the engine's decision: no allow in the role's trust policy
  if (!new RegExp(`Implicit deny \\(no Allow\\) · trust policy[\\s\\S]*The trust policy of arn:aws:iam::${setup.tools}:role/OrganizationAccountAccessRole does not allow sts:AssumeRole`).test(refusal))
    throw new Error("refusal decision: " + refusal);
  await shot("15-trail-refusal"); lap("15-trail-refusal");
  // an explicit Deny: the trail names the policy and its statement
  await go("#/trail?key=EventName&value=CreateQueue&error=*refused*");
  await page.waitForSelector("tr.refused .why.decision", { timeout: T });
  const denied = await page.$eval("tr.refused .why.decision", (d) => d.innerText);
  if (!new RegExp(`Explicit Deny · identity-based policy[\\s\\S]*Policy\\s+inline identity-based policy p of arn:aws:iam::${setup.tools}:user/${setup.intruder}[\\s\\S]*Statement\\s+Sid NoQueues · Statement\\[1\\]`).test(denied))
    throw new Error("explicit deny decision: " + denied);
  await shot("15b-trail-explicit-deny");
  await go("#/trail?key=EventName&value=AssumeRole&error=*refused*");
  await page.waitForSelector("tr.refused .why", { timeout: T });
  // the refusal, simulated: the intruder's own policy allows sts:AssumeRole (so the role's
  // trust policy refused it); and an action nothing allows
  await page.click("tr.refused a.simulate");
  await until(/sts:AssumeRole\s+arn:aws:iam::\d+:role\/OrganizationAccountAccessRole\s+Allowed\s+Allowed by p \(user\)\.\s*p \(user\) · statement at 1:\d+–1:\d+/);
  await page.focus('input[name="actions"]');
  await page.keyboard.down("Control"); await page.keyboard.press("KeyA"); await page.keyboard.up("Control");
  await page.keyboard.type("sts:AssumeRole s3:ListAllMyBuckets");
  await page.click('form[aria-label="Simulate"] button[type="submit"]');
  await until(/sts:AssumeRole\s[^\n]*Allowed[\s\S]*s3:ListAllMyBuckets\s[^\n]*Denied \(no Allow\)/);
  await shot("16-iam-simulator"); lap("16-iam-simulator");
  await go("#/iam");
  await until(new RegExp(`Users[\\s\\S]*${setup.intruder}[\\s\\S]*Roles[\\s\\S]*OrganizationAccountAccessRole`));
  await shot("17-iam");
  await go(`#/iam/user/${setup.intruder}`);
  await until(/Inline: p[\s\S]*"sts:AssumeRole"/);
  await shot("18-iam-user");

  await go("#/stacks");
  await until(/console-stack\s+CREATE_COMPLETE[^\n]*not detected[\s\S]*Exports[\s\S]*(No exports|Name)/);
  await go("#/stacks/console-stack");
  await until(/InboxUrl[\s\S]*console-inbox[\s\S]*Inbox[\s\S]*AWS::SQS::Queue[\s\S]*CREATE_COMPLETE[\s\S]*Change sets/);
  await shot("19-stack");
  await go("#/messaging");
  await until(/console-events[\s\S]*sqs[\s\S]*console-orders/);
  await until(/console-orders\s+1\s+0/);
  await shot("20-messaging"); lap("20-messaging");
  // a dead-letter queue redriven to its source, then messages sent, peeked at, received
  await go("#/messaging/queue/console-orders-dlq");
  await until(/dead-letter queue of console-orders/);
  await until(/1 available, 0 in flight/);
  // its message was sent to it, not dead-lettered: redriven to a queue chosen by name
  const dest = await page.$eval('form[aria-label="Redrive"] select option:nth-child(2)', (o) => o.value);
  await page.select('form[aria-label="Redrive"] select', dest);
  await page.click('form[aria-label="Redrive"] button[type="submit"]');
  await until(/0 available, 0 in flight[\s\S]*COMPLETED\s+1 of 1/);
  await shot("21-queue-redrive");
  await go("#/messaging/queue/console-orders");
  await until(/2 available, 0 in flight/);
  await page.type('form[aria-label="Send a message"] textarea', "hello from the console");
  await page.click('form[aria-label="Send a message"] button[type="submit"]');
  await until(/3 available/);
  await page.click("button.peek");
  await page.waitForFunction(() => /dead letter/.test(document.querySelector("table.messages")?.innerText || "") &&
                                   /hello from the console/.test(document.querySelector("table.messages").innerText),
                             { timeout: T, polling: 100 });
  await until(/3 available, 0 in flight/);
  await page.click("button.receive");
  await until(/0 available, 3 in flight/);
  await page.click("table.messages tbody button.bad");
  await until(/0 available, 2 in flight/);
  await shot("22-queue-messages"); lap("22-queue-messages");

  // back to the signed-in identity, then out
  await page.click(".identity button.link");
  await until(new RegExp(`arn:aws:iam::${setup.mgmt_account}:root \\(`));
  await go("#/switch-role");
  await until(new RegExp(`Role history\\s+OrganizationAccountAccessRole @ ${setup.tools}`));
  // the management account's StackSet: its instances as accounts x regions
  await go("#/stacks");
  await (await page.waitForSelector(`a[href="#/stacksets/${setup.stack_set}"]`, { timeout: T })).click();
  await page.waitForFunction((accounts) => {
    const t = document.querySelector("table.grid");
    if (!t) return false;
    const rows = [...t.querySelectorAll("tbody tr")].map((r) => r.innerText);
    return /us-east-1[\s\S]*eu-west-1|eu-west-1[\s\S]*us-east-1/.test(t.tHead.innerText) &&
      accounts.every((a) => rows.some((r) => r.startsWith(a) && (r.match(/CURRENT/g) || []).length === 2));
  }, { timeout: T, polling: 100 }, setup.stack_set_accounts);
  await shot("23-stackset-grid"); lap("23-stackset-grid");
  await page.click(".identity button:not(.link)");
  await page.waitForSelector('form[aria-label="Sign in"]', { timeout: T });
  const left = await page.evaluate(() => sessionStorage.length);
  if (left) throw new Error("sign-out left session storage behind");

  // a principal without permissions sees the refusal, not data
  await signIn(...setup.nobody);
  await go("#/pipelines");
  await page.waitForSelector(".error .code", { timeout: T });
  const err = await page.$eval(".error", (e) => e.innerText);
  if (!/AccessDenied/.test(err) || (await page.$("table"))) throw new Error("expected AccessDenied: " + err);
  await go("#/iam");
  await until(/AccessDenied[\s\S]*iam:GetAccountAuthorizationDetails/);
  if (await page.$("table")) throw new Error("IAM data shown to a principal without permissions");
  await shot("24-access-denied"); lap("24-access-denied");
  if (consoleErrors.filter((e) => !/Failed to load resource/.test(e)).length)
    throw new Error("console errors: " + consoleErrors.join("\n"));
  console.log(JSON.stringify(figures));
} catch (e) {
  if (page) {
    await page.screenshot({ path: path.join(shots, "failure.png"), fullPage: true }).catch(() => {});
    console.error("page text:\n" + (await page.evaluate(() => document.body.innerText).catch(() => "?")));
  }
  throw e;
} finally {
  await browser.close();
}
