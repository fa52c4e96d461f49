// Pre-check target: `AxonFlowClient.preCheck` against a loopback agent whose reply is a mutated
// pre-check answer (values, types, prototype keys, truncation, invalid UTF-8, other documents),
// with a mutated status, framing or delivery (stall, drip, oversize, reset). Checked in
// production and in sandbox mode:
// - a readable verdict is honoured exactly (a deny at any status, an allow on a 2xx), however
//   malformed the other fields;
// - unavailability (network, deadline, 5xx, 429) fails open in production and throws a typed
//   AxonFlowError in sandbox mode; every other reply throws a typed error in both modes;
// - never take longer than the deadline (plus scheduling slack);
// - never add anything to Object.prototype.
import { createServer } from 'node:http';
import { AxonFlowClient, AxonFlowError } from 'axonflow-otel';
import { corpus, describeError, within } from '../lib/harness.mjs';
import { mutateBody } from '../lib/mutate.mjs';

const TIMEOUT_MS = 300;
/** Timers, retries and a busy machine: how far past its deadline a call may end (a hang is far longer). */
const SLACK_MS = 3000;
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

// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** The context id the client must keep: the string when it is 1–256 printable characters. */
function keptContextId(value) {
  if (typeof value === 'number' && Number.isFinite(value)) return undefined; // its text; not checked
  const printable = typeof value === 'string' && value.length >= 1 && value.length <= 256;
  return printable && !CONTROL.test(value) ? value : '';
}

/**
 * What the client must make of the reply:
 * - `{ kind: 'decision', approved, contextId }`: a readable verdict (a deny at any status, an
 *   allow on a 2xx), honoured exactly, whatever else is malformed;
 * - `{ kind: 'unavailable' }` (network failure, deadline, 5xx, 429): fail open in production,
 *   a typed error in sandbox mode;
 * - `{ kind: 'unchecked' }` (any other reply: a 4xx, a redirect, no readable verdict, a reply over
 *   the cap): a typed error in both modes, never a result;
 * - `{ kind: 'unsure' }`: a shape the oracle does not want to second-guess (prototype keys, an
 *   oversized 5xx reply): anything but a decision the reply contradicts.
 */
function expectation(status, delivery, bytes) {
  // A drip may finish inside the deadline (then the body decides) or not (unavailable).
  if (delivery === 'drip') return { kind: 'unsure', approved: undefined };
  if (delivery !== 'normal' && delivery !== 'no-length' && delivery !== 'huge') {
    return { kind: 'unavailable' };
  }
  if (delivery === 'huge') {
    return status === 429 || status >= 500 ? { kind: 'unsure' } : { kind: 'unchecked' };
  }
  let body;
  if (status !== 204 && bytes.length > 0 && bytes.length <= MAX_REPLY_BYTES) {
    try {
      // A leading byte order mark is allowed (RFC 8259 §8.1 lets a parser ignore it).
      body = JSON.parse(bytes.toString('utf8').replace(/^\uFEFF/, ''));
    } catch {
      body = undefined;
    }
  }
  let hostile = false;
  try {
    hostile = hasPrototypeKeys(body);
  } catch {
    hostile = true;
  }
  if (hostile) return { kind: 'unsure', approved: undefined };
  const readable = isObject(body);
  if (readable && (body.approved === false || body.blocked === true)) {
    return { kind: 'decision', approved: false, contextId: keptContextId(body.context_id) };
  }
  if (status === 429 || status >= 500) return { kind: 'unavailable' };
  if (status >= 200 && status < 300 && readable && body.approved === true) {
    return { kind: 'decision', approved: true, contextId: keptContextId(body.context_id) };
  }
  return { kind: 'unchecked' };
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
                `a readable verdict was not honoured: ${error ? describeError(error) : JSON.stringify(result)}`,
              );
            } else if (result.approved !== expected.approved) {
              failures.push(`decided ${result.approved} where the reply says ${expected.approved}`);
            } else if (
              expected.contextId !== undefined &&
              result.contextId !== expected.contextId
            ) {
              failures.push(`context ${JSON.stringify(result.contextId)} differs from the reply`);
            }
            break;
          case 'unavailable':
            if (mode === 'production' && !failedOpen) {
              failures.push(
                `production mode did not fail open: ${error ? describeError(error) : JSON.stringify(result)}`,
              );
            }
            if (mode === 'sandbox' && error === undefined) {
              failures.push(`sandbox mode did not throw: ${JSON.stringify(result)}`);
            }
            break;
          case 'unchecked':
            if (error === undefined) {
              failures.push(
                `an unreadable verdict (HTTP ${status}) gave a result: ${JSON.stringify(result)}`,
              );
            }
            break;
          default:
            if (
              decided &&
              expected.approved !== undefined &&
              result.approved !== expected.approved
            ) {
              failures.push(`decided ${result.approved} where the reply says ${expected.approved}`);
            }
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
