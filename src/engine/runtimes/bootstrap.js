// ferry's Node.js runtime loop: the Lambda Runtime API (2018-06-01) over one kept-alive
// HTTP/1.1 connection on a raw socket (the http module's client cost more per invocation
// than a trivial handler). Written into each execution environment by engine/functions.c;
// runs the handler named by _HANDLER from LAMBDA_TASK_ROOT (CommonJS or ES module; async or
// callback style).
'use strict';
const net = require('net');
const path = require('path');
const fs = require('fs');
const util = require('util');
const { pathToFileURL } = require('url');

const [HOST, PORT] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
let currentId = null;
let sock = null;

function open() {
  const s = net.connect({ host: HOST, port: Number(PORT) });
  s.setNoDelay(true);
  s.inbuf = Buffer.alloc(0);
  s.waiter = null;
  s.on('data', d => { s.inbuf = s.inbuf.length ? Buffer.concat([s.inbuf, d]) : d; parse(s); });
  const gone = err => {
    if (sock === s) sock = null;
    const p = s.waiter;
    s.waiter = null;
    if (p) p.fail(err || new Error('the Runtime API closed the connection'));
  };
  s.on('error', gone);
  s.on('close', () => gone());
  return s;
}

// a whole response in s.inbuf settles the request waiting on s
function parse(s) {
  const p = s.waiter;
  const end = s.inbuf.indexOf('\r\n\r\n');
  if (!p || end < 0) return;
  const lines = s.inbuf.subarray(0, end).toString('latin1').split('\r\n');
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const n = Number(headers['content-length'] || 0);
  if (s.inbuf.length < end + 4 + n) return;
  const body = s.inbuf.subarray(end + 4, end + 4 + n);
  s.inbuf = s.inbuf.subarray(end + 4 + n);
  s.waiter = null;
  if ((headers.connection || '').toLowerCase() === 'close') {
    if (sock === s) sock = null;
    s.destroy();
  }
  p.ok({ status: Number(lines[0].split(' ')[1]), headers, body });
}

function send(msg) {
  return new Promise((ok, fail) => {
    if (!sock) sock = open();
    sock.waiter = { ok, fail };
    sock.write(msg);
  });
}

async function call(method, p, body, headers) {
  const b = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  let head = `${method} /2018-06-01/runtime${p} HTTP/1.1\r\nHost: ${HOST}\r\n`;
  if (method === 'POST') head += `Content-Length: ${b.length}\r\n`;
  for (const [k, v] of Object.entries(headers || {})) head += `${k}: ${v}\r\n`;
  const msg = Buffer.concat([Buffer.from(head + '\r\n', 'latin1'), b]);
  try {
    return await send(msg);
  } catch (e) {
    // a kept-alive connection the server closed meanwhile: once more on a new one
    if (sock) sock.destroy();
    sock = null;
    return send(msg);
  }
}

function errorDoc(err) {
  if (err instanceof Error) {
    return { errorType: err.name, errorMessage: err.message,
      trace: String(err.stack || '').split('\n') };
  }
  if (typeof err === 'string') return { errorType: 'string', errorMessage: err, trace: [] };
  return { errorType: typeof err, errorMessage: util.format(err), trace: [] };
}

function postError(p, doc) {
  return call('POST', p, JSON.stringify(doc), { 'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': doc.errorType });
}

// AWS's console: one line per call, "timestamp\trequestId\tLEVEL\tmessage"
for (const [fn, level] of [['log', 'INFO'], ['info', 'INFO'], ['warn', 'WARN'],
  ['error', 'ERROR'], ['debug', 'DEBUG'], ['trace', 'TRACE']]) {
  console[fn] = (...args) => {
    const msg = util.format(...args).replace(/\n/g, '\r');
    process.stdout.write(`${new Date().toISOString()}\t${currentId || 'undefined'}\t${level}\t${msg}\n`);
  };
}

class InitError extends Error {
  constructor(type, message) { super(message); this.name = type; }
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT || '.';
  const dot = spec.lastIndexOf('.');
  if (dot < 1) throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  const mod = spec.slice(0, dot), name = spec.slice(dot + 1);
  const base = path.resolve(root, mod);
  let file = null;
  for (const ext of ['.js', '.mjs', '.cjs']) {
    if (fs.existsSync(base + ext)) { file = base + ext; break; }
  }
  if (!file) {
    throw new InitError('Runtime.ImportModuleError',
      `Error: Cannot find module '${mod}'\nRequire stack:\n- ${__filename}`);
  }
  let m;
  if (file.endsWith('.mjs')) {
    m = await import(pathToFileURL(file).href);
  } else {
    try {
      m = require(file);
    } catch (e) {
      if (e && e.code === 'ERR_REQUIRE_ESM') m = await import(pathToFileURL(file).href);
      else if (e instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
      else throw e;
    }
  }
  const fn = m && (m[name] || (m.default && m.default[name]));
  if (typeof fn !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec} is undefined or not exported`);
  }
  return fn;
}

function invoke(fn, event, ctx) {
  return new Promise((resolve, reject) => {
    let done = false;
    const cb = (err, res) => {
      if (done) return;
      done = true;
      if (err !== null && err !== undefined) reject(err); else resolve(res);
    };
    ctx.done = cb;
    ctx.succeed = r => cb(null, r);
    ctx.fail = e => cb(e === undefined ? 'handled' : e);
    try {
      const r = fn(event, ctx, cb);
      if (r && typeof r.then === 'function') r.then(v => cb(null, v), e => cb(e === undefined ? new Error('undefined') : e));
      else if (fn.length < 3) cb(null, r);
    } catch (e) {
      cb(e);
    }
  });
}

function context(h) {
  const deadline = Number(h['lambda-runtime-deadline-ms'] || 0);
  return {
    awsRequestId: h['lambda-runtime-aws-request-id'],
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(deadline - Date.now(), 0),
  };
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const doc = errorDoc(e);
    console.error(`${doc.errorType}: ${doc.errorMessage}`);
    await postError('/init/error', doc);
    process.exit(1);
  }
  process.on('uncaughtException', async e => {
    const doc = errorDoc(e);
    console.error(`Uncaught Exception\t${JSON.stringify(doc)}`);
    if (currentId) await postError(`/invocation/${currentId}/error`, doc).catch(() => {});
    process.exit(129);
  });
  for (;;) {
    const next = await call('GET', '/invocation/next');
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    currentId = id;
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    let result, failed = null;
    try {
      const body = next.body.toString('utf8');
      result = await invoke(handler, body.length ? JSON.parse(body) : null, context(h));
    } catch (e) {
      failed = e;
    }
    if (failed !== null) {
      const doc = errorDoc(failed);
      console.error(`Invoke Error \t${JSON.stringify(doc)}`);
      await postError(`/invocation/${id}/error`, doc);
      continue;
    }
    let out;
    try {
      out = result === undefined ? 'null' : JSON.stringify(result);
    } catch (e) {
      await postError(`/invocation/${id}/error`, { errorType: 'Runtime.MarshalError',
        errorMessage: `Unable to stringify response body: ${e.message}`, trace: [] });
      continue;
    }
    await call('POST', `/invocation/${id}/response`, out);
  }
}

main();
