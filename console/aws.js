// The console's only power: the credentials its user typed, kept in this tab's session
// storage, and the AWS SDK v3 clients signing with them against this page's origin (ferry
// routes each request by the service named in its signature).
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from "@aws-sdk/client-sts";

const BASE = "ferry.console.base"; // {accessKeyId, secretAccessKey, sessionToken, region}
const ROLE = "ferry.console.role"; // assumed role: credentials, arn, account, roleName
const REGION = "ferry.console.region";
const RECENT = "ferry.console.recent"; // the last roles switched to: [{account, roleName, display}]

function load(key) {
  try {
    return JSON.parse(sessionStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

export const session = {
  base: () => load(BASE),
  role: () => load(ROLE),
  region: () => sessionStorage.getItem(REGION) || load(BASE)?.region || "us-east-1",
  setRegion: (r) => sessionStorage.setItem(REGION, r),
  recent: () => load(RECENT) || [],
  signOut: () => [BASE, ROLE, REGION, RECENT].forEach((k) => sessionStorage.removeItem(k)),
  leaveRole: () => sessionStorage.removeItem(ROLE),
};

function creds(c) {
  return { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey,
           ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) };
}

// The credentials requests are signed with now: the assumed role's, else the signed-in ones.
export function current() {
  const r = session.role();
  return r ? r.credentials : session.base();
}

const cache = new Map();
// A client of Ctor signing with the current credentials in the current region (global
// services pass region "us-east-1", where AWS signs them).
export function client(Ctor, region) {
  const c = current();
  if (!c) throw Object.assign(new Error("Sign in first."), { name: "NotSignedIn" });
  const rg = region || session.region();
  const key = [Ctor.name, c.accessKeyId, rg].join("|");
  if (!cache.has(key)) {
    if (cache.size > 64) cache.clear();
    cache.set(key, new Ctor({ region: rg, endpoint: location.origin, credentials: creds(c),
                              maxAttempts: 1 }));
  }
  return cache.get(key);
}

export const send = (Ctor, command, region) => client(Ctor, region).send(command);

// Checks c (typed in the form) with GetCallerIdentity before keeping it.
export async function signIn(c) {
  const sts = new STSClient({ region: c.region, endpoint: location.origin,
                              credentials: creds(c), maxAttempts: 1 });
  const id = await sts.send(new GetCallerIdentityCommand({}));
  sessionStorage.setItem(BASE, JSON.stringify(c));
  sessionStorage.removeItem(ROLE);
  sessionStorage.setItem(REGION, c.region);
  return id;
}

// AssumeRole, as the AWS console's Switch role: with the signed-in credentials, named after
// the signed-in identity.
export async function switchRole(account, roleName, display) {
  const base = session.base();
  const sts = new STSClient({ region: session.region(), endpoint: location.origin,
                              credentials: creds(base), maxAttempts: 1 });
  const me = await sts.send(new GetCallerIdentityCommand({}));
  const name = (me.Arn.split(/[/:]/).pop() || "console").replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
  const arn = `arn:aws:iam::${account}:role/${roleName}`;
  const out = await sts.send(new AssumeRoleCommand({ RoleArn: arn, RoleSessionName: name }));
  const k = out.Credentials;
  sessionStorage.setItem(ROLE, JSON.stringify({
    credentials: { accessKeyId: k.AccessKeyId, secretAccessKey: k.SecretAccessKey,
                   sessionToken: k.SessionToken },
    expiration: k.Expiration, arn: out.AssumedRoleUser.Arn, account, roleName,
    display: display || `${roleName} @ ${account}`,
  }));
  const recent = session.recent().filter((r) => r.account !== account || r.roleName !== roleName);
  recent.unshift({ account, roleName, display: display || `${roleName} @ ${account}` });
  sessionStorage.setItem(RECENT, JSON.stringify(recent.slice(0, 5)));
}

export const whoami = () => send(STSClient, new GetCallerIdentityCommand({}));

// An API error as AWS shows it: its code and message.
export function errorText(e) {
  if (!e) return "";
  const code = e.name && e.name !== "Error" ? e.name : e.Code || "Error";
  return { code, message: e.message || String(e), status: e.$metadata?.httpStatusCode };
}
