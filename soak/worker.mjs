// The soak app: an ordinary app using the `openai` and `@anthropic-ai/sdk` clients, run by
// soak/run.mjs as `node --expose-gc --import axonflow-otel/register soak/worker.mjs`, so it is
// governed and traced the zero-code way. It makes a fixed number of mixed calls at a fixed
// concurrency and reports over IPC what it saw: outcomes, diagnostics, unhandled errors, the
// audit processor's counters, heap and sockets. The driver owns the sandbox and the chaos.
import { readdirSync, readlinkSync } from 'node:fs';
import Anthropic from '@anthropic-ai/sdk';
import { DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { withAxonFlowContext } from 'axonflow-otel';
import OpenAI from 'openai';

const REGISTERED = Symbol.for('axonflow-otel.register.started');
const SSN_PROMPT = 'Please store my SSN 123-45-6789 in the customer record';
const TOPICS = [
  'the capital of France',
  'a haiku about autumn',
  'how tides work',
  'the boiling point of water',
  'a good name for a cat',
  'the speed of light',
  'why the sky is blue',
  'a recipe for pancakes',
  'the tallest mountain',
  'how vaccines work',
  'a fun fact about octopuses',
  'the history of tea',
];
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];
/** Call kinds and their weights in the mix. */
const KINDS = [
  ['openai.chat', 24],
  ['openai.chat.stream', 14],
  ['openai.chat.stream.break', 8],
  ['anthropic.messages', 22],
  ['anthropic.messages.stream', 12],
  ['anthropic.messages.stream.break', 6],
  ['anthropic.messages.stream-helper', 14],
];
const KIND_TOTAL = KINDS.reduce((sum, [, w]) => sum + w, 0);

// --- what the app observes --------------------------------------------------------------------

const counts = {
  unhandledRejections: 0,
  uncaughtExceptions: 0,
  firstUnhandled: undefined,
};
process.on('unhandledRejection', reason => {
  counts.unhandledRejections++;
  counts.firstUnhandled ??= describe(reason);
});
process.on('uncaughtException', err => {
  counts.uncaughtExceptions++;
  counts.firstUnhandled ??= describe(err);
});

const diagCounts = {
  spanEndedTwice: 0,
  spansDropped: 0,
  ourErrors: 0,
  otherErrors: 0,
  warnings: 0,
  samples: [],
};
function onDiag(level, message, args) {
  const text = [message, ...args.map(a => (a instanceof Error ? a.message : String(a)))].join(' ');
  if (/You can only call end\(\) on a span once/.test(text)) diagCounts.spanEndedTwice++;
  else if (/maxQueueSize reached|Dropped \d+ spans/.test(text)) {
    const n = /Dropped (\d+) spans/.exec(text);
    diagCounts.spansDropped += n ? Number(n[1]) : 1;
  } else if (level === 'error' && text.includes('axonflow-otel')) diagCounts.ourErrors++;
  else if (level === 'error') diagCounts.otherErrors++;
  else if (level === 'warn') diagCounts.warnings++;
  else return;
  if (level !== 'debug' && diagCounts.samples.length < 12) {
    diagCounts.samples.push(`${level}: ${text.slice(0, 200)}`);
  }
}
diag.setLogger(
  {
    error: (m, ...a) => onDiag('error', m, a),
    warn: (m, ...a) => onDiag('warn', m, a),
    info: () => {},
    debug: (m, ...a) => onDiag('debug', m, a),
    verbose: () => {},
  },
  { logLevel: DiagLogLevel.DEBUG, suppressOverrideMessage: true },
);

function describe(err) {
  const name = err?.constructor?.name ?? typeof err;
  return `${name}: ${String(err?.message ?? err).slice(0, 160)}`;
}

// --- a seeded PRNG, so call i is the same call in every run -------------------------------------

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function planCall(seed, i) {
  const rnd = mulberry32(seed ^ Math.imul(i + 1, 0x9e3779b1));
  let pick = rnd() * KIND_TOTAL;
  let kind = KINDS[0][0];
  for (const [name, weight] of KINDS) {
    pick -= weight;
    if (pick < 0) {
      kind = name;
      break;
    }
  }
  const denied = rnd() < 0.08;
  const unique = rnd() < 0.1;
  const topic = TOPICS[Math.floor(rnd() * TOPICS.length)];
  const prompt = denied ? SSN_PROMPT : `Tell me about ${topic}${unique ? ` (request ${i})` : ''}.`;
  return {
    kind,
    denied,
    prompt,
    user: USERS[Math.floor(rnd() * USERS.length)],
    breakAfter: 1 + Math.floor(rnd() * 3),
  };
}

// --- the calls ------------------------------------------------------------------------------

const openai = new OpenAI({ maxRetries: 1, timeout: 20_000 });
const anthropic = new Anthropic({ maxRetries: 1, timeout: 20_000 });

async function perform(call) {
  const messages = [{ role: 'user', content: call.prompt }];
  switch (call.kind) {
    case 'openai.chat': {
      const reply = await openai.chat.completions.create({ model: 'sandbox-gpt', messages });
      if (typeof reply.choices?.[0]?.message?.content !== 'string') throw new Error('no content');
      return;
    }
    case 'openai.chat.stream':
    case 'openai.chat.stream.break': {
      const stream = await openai.chat.completions.create({
        model: 'sandbox-gpt',
        messages,
        stream: true,
        stream_options: { include_usage: true },
      });
      let n = 0;
      for await (const _chunk of stream) {
        n++;
        if (call.kind.endsWith('.break') && n >= call.breakAfter) break;
      }
      return;
    }
    case 'anthropic.messages': {
      const reply = await anthropic.messages.create({
        model: 'sandbox-claude',
        max_tokens: 128,
        messages,
      });
      if (!Array.isArray(reply.content)) throw new Error('no content');
      return;
    }
    case 'anthropic.messages.stream':
    case 'anthropic.messages.stream.break': {
      const stream = await anthropic.messages.create({
        model: 'sandbox-claude',
        max_tokens: 128,
        messages,
        stream: true,
      });
      let n = 0;
      for await (const _event of stream) {
        n++;
        if (call.kind.endsWith('.break') && n >= call.breakAfter) break;
      }
      return;
    }
    case 'anthropic.messages.stream-helper': {
      const stream = anthropic.messages.stream({
        model: 'sandbox-claude',
        max_tokens: 128,
        messages,
      });
      const message = await stream.finalMessage();
      if (!Array.isArray(message.content)) throw new Error('no content');
      return;
    }
    default:
      throw new Error(`unknown call kind ${call.kind}`);
  }
}

const outcomes = {
  calls: 0,
  ok: 0,
  denied: 0,
  /** A prompt without personal data denied: a wrong decision. */
  wrongDenies: 0,
  errors: 0,
  byKind: {},
  errorKinds: {},
};

async function runOne(seed, i) {
  const call = planCall(seed, i);
  outcomes.calls++;
  outcomes.byKind[call.kind] = (outcomes.byKind[call.kind] ?? 0) + 1;
  try {
    await withAxonFlowContext({ userToken: `soak-${call.user}` }, () => perform(call));
    outcomes.ok++;
  } catch (err) {
    // messages.stream() hands errors over as an AnthropicError whose `cause` is the original.
    if ((err?.code ?? err?.cause?.code) === 'AXONFLOW_POLICY_VIOLATION') {
      outcomes.denied++;
      if (!call.denied) outcomes.wrongDenies++;
      return;
    }
    outcomes.errors++;
    const key = describe(err).slice(0, 90);
    if (key in outcomes.errorKinds || Object.keys(outcomes.errorKinds).length < 40) {
      outcomes.errorKinds[key] = (outcomes.errorKinds[key] ?? 0) + 1;
    } else outcomes.errorKinds['(other)'] = (outcomes.errorKinds['(other)'] ?? 0) + 1;
  }
}

async function runRange(seed, from, to, concurrency, onProgress) {
  let next = from;
  const lane = async () => {
    while (next < to) {
      const i = next++;
      await runOne(seed, i);
      onProgress();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

// --- measurements -----------------------------------------------------------------------------

/** TCP sockets keeping the loop alive, and all open socket descriptors (idle keep-alive too). */
function sockets() {
  const active = process.getActiveResourcesInfo().filter(r => r === 'TCPSocketWrap').length;
  let fds;
  try {
    fds = 0;
    for (const fd of readdirSync('/proc/self/fd')) {
      try {
        if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) fds++;
      } catch {
        // closed while listing
      }
    }
  } catch {
    fds = undefined; // not Linux: the active-handle count still applies
  }
  return { active, fds };
}

function socketsSettled(now, before) {
  return now.active <= before.active && (now.fds === undefined || now.fds <= before.fds);
}

function resourceSummary() {
  const out = {};
  for (const r of process.getActiveResourcesInfo()) out[r] = (out[r] ?? 0) + 1;
  return out;
}

const tick = () => new Promise(resolve => setImmediate(resolve));

async function settledHeap() {
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await tick();
  }
  return process.memoryUsage().heapUsed;
}

async function flushAll(handle) {
  await handle.auditProcessor?.forceFlush();
  const provider = trace.getTracerProvider();
  const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
  await delegate.forceFlush?.();
}

/**
 * Asks the driver to switch its chaos off (`calm`: agent up, no faults) or back on (`chaos`), and
 * waits until it has.
 */
function askDriver(type) {
  return new Promise(resolve => {
    const onMessage = message => {
      if (message?.type === `${type}:ok`) {
        process.off('message', onMessage);
        resolve();
      }
    };
    process.on('message', onMessage);
    process.send({ type });
  });
}

async function main(options) {
  const registered = globalThis[REGISTERED]?.handle;
  if (!registered?.auditProcessor) {
    throw new Error('the register entry did not start (no handle or no audit processor)');
  }
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const { calls, concurrency, seed } = options;
  const warmAt = Math.min(calls, Math.max(300, Math.min(5000, Math.floor(calls / 10))));
  const socketsBefore = sockets();
  let done = 0;
  let lastReport = 0;
  const progress = () => {
    done++;
    const now = performance.now();
    if (now - lastReport >= 1000) {
      lastReport = now;
      process.send({ type: 'progress', done });
    }
  };

  const started = performance.now();
  await runRange(seed, 0, warmAt, concurrency, progress);
  // The warm point: calls stop, everything queued is delivered, and the heap is measured.
  const pausedAt = performance.now();
  await askDriver('calm');
  await flushAll(registered);
  const heapWarm = await settledHeap();
  await askDriver('chaos');
  const pause = performance.now() - pausedAt;

  await runRange(seed, warmAt, calls, concurrency, progress);
  const elapsedMs = performance.now() - started - pause;
  await askDriver('calm');
  await flushAll(registered);
  const audit = registered.auditProcessor.stats();
  const heapEnd = await settledHeap();

  await registered.shutdown();
  const settleStart = performance.now();
  let socketsAfter = sockets();
  while (!socketsSettled(socketsAfter, socketsBefore) && performance.now() - settleStart < 15_000) {
    await new Promise(resolve => setTimeout(resolve, 100));
    socketsAfter = sockets();
  }
  return {
    calls: outcomes.calls,
    elapsedMs,
    callsPerSecond: (outcomes.calls / elapsedMs) * 1000,
    outcomes,
    audit,
    warmAt,
    heapWarm,
    heapEnd,
    socketsBefore,
    socketsAfter,
    socketsSettleMs: performance.now() - settleStart,
    resources: resourceSummary(),
    diag: diagCounts,
    ...counts,
  };
}

// Node refs the IPC channel by counting 'message' listeners, a count other listeners on
// `process` can unbalance: hold it explicitly until the report is sent (then disconnect).
process.channel?.ref();
process.once('message', message => {
  if (message?.type !== 'start') return;
  main(message.options).then(
    report => {
      process.send({ type: 'report', report }, () => process.disconnect());
    },
    err => {
      process.send({ type: 'fatal', error: describe(err), stack: err?.stack }, () =>
        process.disconnect(),
      );
    },
  );
});
process.send({ type: 'ready' });
