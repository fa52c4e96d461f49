// Pre-check target: `AxonFlowClient.preCheck` against a loopback agent whose reply is a mutated
// pre-check answer (values, types, prototype keys, truncation, invalid UTF-8, other documents),
// with a mutated status, framing or delivery (stall, drip, oversize, reset). Checked in
// production and in sandbox mode:
// - approve or deny only when the reply is a valid decision, and then exactly what it says;
// - otherwise fail open (production) or throw a typed AxonFlowError (sandbox) — a 4xx that is
//   neither auth nor rate limiting may also throw its typed error in production;
// - never take longer than the deadline (plus scheduling slack);
// - never add anything to Object.prototype.
import { createServer } from 'node:http';
import { AxonFlowClient, AxonFlowError } from 'axonflow-otel';
import { corpus, describeError, within } from '../lib/harness.mjs';
import { mutateBody } from '../lib/mutate.mjs';

const TIMEOUT_MS = 300;
/** Timers, retries and a busy machine: how far past its deadline a call may end. */
const SLACK_MS = 700;
const STATUSES = [
  [200, 82],
  [201, 2],
  [204, 1],
  [301, 1],
  [400, 2],
  [401, 1],
  [403, 2],
  [404, 1],
  [422, 1],
  [429, 2],
  [500, 2],
  [502, 1],
  [503, 2],
];
/** Stalls cost a deadline each: rare enough to keep the target fast, frequent enough to matter. */
const DELIVERIES = [
  ['normal', 180],
  ['no-length', 8],
  ['stall', 1],
  ['stall-mid', 1],
  ['drip', 1],
  ['huge', 2],
  ['reset', 4],
];
/** The client's default cap on a reply. */
const MAX_REPLY_BYTES = 1024 * 1024;
const PROTOTYPE_BASELINE = Object.getOwnPropertyNames(Object.prototype).sort().join(',');

// --- the oracle ---------------------------------------------------------------------------------

const isObject = v => v !== null && typeof v === 'object' && !Array.isArray(v);
const optional = (v, test) => v === undefined || v === null || test(v);

/** 'valid', 'invalid', or 'unsure' (a shape the oracle does not want to second-guess). */
function shapeOf(body) {
  if (!isObject(body)) return 'invalid';
  if (typeof body.context_id !== 'string' || typeof body.approved !== 'boolean') return 'invalid';
  if (Array.isArray(body.approved_data)) return 'unsure';
  if (!optional(body.approved_data, isObject)) return 'invalid';
  if (!optional(body.policies, p => Array.isArray(p) && p.every(x => typeof x === 'string'))) {
    return 'invalid';
  }
  const rateLimit = r =>
    isObject(r) &&
    typeof r.limit === 'number' &&
    typeof r.remaining === 'number' &&
    typeof r.reset_at === 'string';
  if (!optional(body.rate_limit, rateLimit)) return 'invalid';
  for (const key of ['expires_at', 'block_reason']) {
    if (!optional(body[key], v => typeof v === 'string')) return 'invalid';
  }
  if (!optional(body.requires_redaction, v => typeof v === 'boolean')) return 'invalid';
  return 'valid';
}

/** True when some object in the document has an own `__proto__`, or `constructor.prototype`. */
function hasPrototypeKeys(value) {
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    if (Object.hasOwn(node, '__proto__')) return true;
    if (isObject(node.constructor) && Object.hasOwn(node.constructor, 'prototype')) return true;
    for (const key of Object.keys(node)) stack.push(node[key]);
  }
  return false;
}

/**
 * What the client must make of the reply: `{ kind: 'decision', approved, contextId }`,
 * `{ kind: 'failure' }` (fail open / typed error), `{ kind: 'rejected' }` (a 4xx: typed error,
 * or fail open), or `{ kind: 'unsure', approved }`.
 */
function expectation(status, delivery, bytes) {
  if (delivery !== 'normal' && delivery !== 'no-length') return { kind: 'failure' };
  if (status === 401 || status === 403 || status === 429 || status >= 500)
    return { kind: 'failure' };
  if (status >= 300 && status < 400) return { kind: 'failure' };
  if (status >= 400) return { kind: 'rejected' };
  if (status === 204 || bytes.length === 0 || bytes.length > MAX_REPLY_BYTES) {
    return { kind: 'failure' };
  }
  let body;
  try {
    // A leading byte order mark is allowed (RFC 8259 §8.1 lets a parser ignore it).
    body = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
  } catch {
    return { kind: 'failure' };
  }
  let shape;
  try {
    shape = hasPrototypeKeys(body) ? 'unsure' : shapeOf(body);
  } catch {
    shape = 'unsure';
  }
  if (shape === 'invalid') return { kind: 'failure' };
  const approved = isObject(body) ? body.approved : undefined;
  if (shape === 'unsure') return { kind: 'unsure', approved };
  return { kind: 'decision', approved, contextId: body.context_id };
}

// --- the agent ----------------------------------------------------------------------------------

async function startAgent() {
  let reply;
  const sockets = new Set();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const { status, bytes, delivery } = reply;
      switch (delivery) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'stall':
          res.writeHead(status, { 'content-type': 'application/json' });
          res.flushHeaders();
          return;
        case 'stall-mid':
          res.writeHead(status, { 'content-type': 'application/json' });
          res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
          return;
        case 'drip': {
          res.writeHead(status, { 'content-type': 'application/json' });
          let i = 0;
          const drip = setInterval(() => {
            if (res.destroyed || i >= bytes.length) {
              clearInterval(drip);
              res.end();
            } else res.write(bytes.subarray(i, ++i));
          }, 40);
          res.on('close', () => clearInterval(drip));
          return;
        }
        case 'huge': {
          const pad = Buffer.alloc(2 * 1024 * 1024, 0x20);
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(Buffer.concat([pad, bytes]));
          return;
        }
        case 'no-length':
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(bytes);
          return;
        default:
          res.writeHead(status, {
            'content-type': 'application/json',
            'content-length': String(bytes.length),
          });
          res.end(bytes);
      }
    });
  });
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    set(next) {
      reply = next;
    },
    /** Ends stalled replies left from the last case. */
    dropConnections() {
      for (const socket of sockets) socket.destroy();
    },
    close: () =>
      new Promise(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function prototypeTouched() {
  const now = Object.getOwnPropertyNames(Object.prototype).sort().join(',');
  const probe = {};
  return (
    now !== PROTOTYPE_BASELINE ||
    probe.approved !== undefined ||
    probe.polluted !== undefined ||
    probe.context_id !== undefined ||
    probe.x !== undefined
  );
}

export async function create() {
  const seeds = corpus('precheck');
  const agent = await startAgent();
  const options = {
    endpoint: agent.url,
    telemetry: false,
    timeoutMs: TIMEOUT_MS,
    cache: { enabled: false },
    breaker: { enabled: false },
    // Retries are exercised, without the default 50 ms pause in front of each.
    retry: { initialDelayMs: 5 },
  };
  const clients = {
    production: new AxonFlowClient({ ...options, mode: 'production' }),
    sandbox: new AxonFlowClient({ ...options, mode: 'sandbox' }),
  };

  return {
    prepare(rng) {
      const seed = rng.pick(seeds);
      const log = [`seed ${seed.name}`];
      let bytes = mutateBody(rng, seed.text, log);
      const status = rng.weighted(STATUSES);
      const delivery = rng.weighted(DELIVERIES);
      const mode = rng.chance(0.5) ? 'production' : 'sandbox';
      if (status === 204) bytes = Buffer.alloc(0);
      log.push(`HTTP ${status}, ${delivery}, ${mode} mode`);
      const expected = expectation(status, delivery, bytes);
      const execute = async () => {
        agent.set({ status, bytes, delivery });

        const started = performance.now();
        const outcome = await within(
          TIMEOUT_MS + 5000,
          clients[mode].preCheck({ query: 'Tell me about tides.', userToken: 'fuzz' }).then(
            result => ({ result }),
            error => ({ error }),
          ),
        );
        const elapsed = performance.now() - started;
        agent.dropConnections();

        const failures = [];
        if (outcome.hung) failures.push('preCheck never settled');
        else if (elapsed > TIMEOUT_MS + SLACK_MS) {
          failures.push(`took ${elapsed.toFixed(0)} ms (deadline ${TIMEOUT_MS} ms)`);
        }
        if (prototypeTouched()) failures.push('Object.prototype was modified');
        const { result, error } = outcome;
        if (error !== undefined && !(error instanceof AxonFlowError)) {
          failures.push(`threw ${describeError(error)} (not an AxonFlowError)`);
        }
        if (error instanceof AxonFlowError && typeof error.code !== 'string') {
          failures.push('threw an AxonFlowError without a code');
        }
        const failedOpen = result?.failOpen === true && result.approved === true;
        const decided = result !== undefined && result.failOpen === false;
        switch (expected.kind) {
          case 'decision':
            if (!decided) {
              failures.push(
                `a valid decision was not honoured: ${error ? describeError(error) : JSON.stringify(result)}`,
              );
            } else if (
              result.approved !== expected.approved ||
              result.contextId !== expected.contextId
            ) {
              failures.push(
                `decision differs from the reply: approved ${result.approved}, context ${result.contextId}`,
              );
            }
            break;
          case 'failure':
            if (mode === 'production' && !failedOpen) {
              failures.push(
                `production mode did not fail open: ${error ? describeError(error) : JSON.stringify(result)}`,
              );
            }
            if (mode === 'sandbox' && error === undefined) {
              failures.push(`sandbox mode did not throw: ${JSON.stringify(result)}`);
            }
            break;
          case 'rejected':
            if (mode === 'production' && !failedOpen && error === undefined) {
              failures.push(`a ${status} was taken as a decision: ${JSON.stringify(result)}`);
            }
            if (mode === 'sandbox' && error === undefined) {
              failures.push(`sandbox mode did not throw: ${JSON.stringify(result)}`);
            }
            break;
          default:
            if (decided && result.approved !== expected.approved) {
              failures.push(`decided ${result.approved} where the reply says ${expected.approved}`);
            }
        }
        if (
          result?.approved === false &&
          !(expected.kind === 'decision' || expected.kind === 'unsure')
        ) {
          failures.push('denied on a reply that is not a valid decision');
        }
        return failures.length > 0 ? failures.join('; ') : undefined;
      };
      return { log, execute };
    },
    async close() {
      await clients.production.close();
      await clients.sandbox.close();
      await agent.close();
    },
  };
}
