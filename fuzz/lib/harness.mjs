// What every fuzz target shares: the seed corpus, a loopback server that serves the case's reply
// (and plays an approving AxonFlow agent), OpenTelemetry with an in-memory exporter, one
// AxonFlowInstrumentation applied to the imported SDK modules (as test/helpers/otel.ts does),
// and a diag logger that keeps what our code reports.
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as anthropicModule from '@anthropic-ai/sdk';
import { context, DiagLogLevel, diag, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import * as axonflow from 'axonflow-otel';
import * as openaiModule from 'openai';

const CORPUS = new URL('../corpus/', import.meta.url);

/** The seed files of a corpus directory, as `{ name, text }`. */
export function corpus(dir) {
  const url = new URL(`${dir}/`, CORPUS);
  return readdirSync(url)
    .filter(name => name.endsWith('.sse') || name.endsWith('.body'))
    .sort()
    .map(name => ({ name, text: readFileSync(new URL(name, url), 'utf8') }));
}

/** A short, stable description of an error: class and message. */
export function describeError(err) {
  if (err === undefined) return 'undefined';
  const name = err?.constructor?.name ?? typeof err;
  let message;
  try {
    message = String(err?.message ?? err);
  } catch {
    message = '(unprintable)';
  }
  return `${name}: ${message.length > 300 ? `${message.slice(0, 300)}…` : message}`;
}

/** JSON of a value the app received, never throwing (cycles, BigInt). */
export function snapshot(value) {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch (err) {
    return `[unserializable: ${describeError(err)}]`;
  }
}

export const tick = () => new Promise(resolve => setImmediate(resolve));

/** Resolves `promise`, or `{ hung: true }` after `ms` (and calls `onTimeout`). */
export async function within(ms, promise, onTimeout) {
  let timer;
  const timeout = new Promise(resolve => {
    timer = setTimeout(() => {
      onTimeout?.();
      resolve({ hung: true });
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

// --- diagnostics and unhandled rejections ------------------------------------------------------

const diagnostics = [];
let guardsInstalled = false;
/** Unhandled rejections so far, and the last one. */
export const unhandled = { count: 0, last: '' };

/**
 * Keeps error and warning diagnostics (ours and the SDK's) until `takeDiagnostics()`, and counts
 * unhandled rejections (which the worker would otherwise die of).
 */
export function installGuards() {
  if (guardsInstalled) return;
  guardsInstalled = true;
  process.on('unhandledRejection', reason => {
    unhandled.count++;
    unhandled.last = describeError(reason);
  });
  const keep =
    level =>
    (message, ...args) => {
      if (diagnostics.length >= 50) return;
      const text = [message, ...args.map(a => (a instanceof Error ? a.message : String(a)))]
        .join(' ')
        .slice(0, 300);
      diagnostics.push({ level, text });
    };
  diag.setLogger(
    { error: keep('error'), warn: keep('warn'), info() {}, debug() {}, verbose() {} },
    { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true },
  );
}

export function takeDiagnostics() {
  return diagnostics.splice(0);
}

/** Diagnostics that mean our code failed, or a span was ended twice. */
export function badDiagnostics(list) {
  return list.filter(
    d =>
      /You can only call end\(\) on a span once/.test(d.text) ||
      (d.level === 'error' && /axonflow-otel/.test(d.text)),
  );
}

// --- the loopback server ------------------------------------------------------------------------

/**
 * Serves the current case's reply on every route but the agent's, written in the given chunks
 * (chunked transfer encoding, so a truncated body simply ends early). As the agent it approves
 * every pre-check and accepts every audit record.
 */
export async function startReplyServer() {
  let reply = { status: 200, contentType: 'text/event-stream', chunks: [] };
  let modelRequests = 0;
  let contexts = 0;
  const sockets = new Set();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const url = req.url ?? '';
      if (url.endsWith('/api/policy/pre-check')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            context_id: `ctx-${++contexts}`,
            approved: true,
            policies: [],
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          }),
        );
        return;
      }
      if (url.endsWith('/api/audit/llm-call')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ success: true, audit_id: `audit-${contexts}` }));
        return;
      }
      modelRequests++;
      const current = reply;
      res.writeHead(current.status, {
        'content-type': current.contentType,
        ...(current.headers ?? {}),
      });
      let i = 0;
      const writeNext = () => {
        if (res.destroyed) return;
        if (i >= current.chunks.length) {
          res.end();
          return;
        }
        res.write(current.chunks[i++]);
        setImmediate(writeNext);
      };
      writeNext();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.on('connection', socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    setReply(next) {
      reply = next;
    },
    modelRequests: () => modelRequests,
    close: () =>
      new Promise(resolve => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

// --- OpenTelemetry and the instrumentation --------------------------------------------------------

/**
 * A TracerProvider with an in-memory exporter (and the audit span processor when the package
 * exports it), and AxonFlowInstrumentation patching the imported `openai` and
 * `@anthropic-ai/sdk` modules, with governance through an approving loopback agent.
 */
export function instrument(agentUrl) {
  installGuards();
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const client = new axonflow.AxonFlowClient({
    endpoint: agentUrl,
    telemetry: false,
    timeoutMs: 2000,
  });
  const exporter = new InMemorySpanExporter();
  const processors = [new SimpleSpanProcessor({ exporter })];
  const Audit = axonflow.AxonFlowAuditSpanProcessor;
  if (typeof Audit === 'function') processors.push(new Audit({ client }));
  const provider = new TracerProvider({ spanProcessors: processors });
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new axonflow.AxonFlowInstrumentation({ client });
  instrumentation.setTracerProvider(provider);
  const modules = instrumentation._modules;
  instrumentation.disable();
  for (const def of modules) {
    def.moduleExports = def.name === 'openai' ? openaiModule : anthropicModule;
    def.moduleVersion = def.name === 'openai' ? '7.0.0' : '1.0.0';
  }
  instrumentation.enable();
  return {
    instrumentation,
    exporter,
    /** Turns content capture (prompts, completions, tool calls on the span) on or off. */
    setCapture(on) {
      instrumentation.setConfig({ client, captureMessageContent: on });
    },
    /** Finished `chat …` spans of axonflow-otel. */
    chatSpans: () =>
      exporter
        .getFinishedSpans()
        .filter(
          s =>
            s.instrumentationScope?.name === 'axonflow-otel' &&
            (s.name === 'chat' || s.name.startsWith('chat ')),
        ),
    async close() {
      instrumentation.disable();
      await provider.shutdown();
      await client.close();
      contextManager.disable();
    },
  };
}

export { anthropicModule, openaiModule };

let phaseListener = () => {};

/**
 * Called when a comparison starts its uninstrumented run (`'plain'`) and its instrumented run
 * (`'instrumented'`, with the uninstrumented run's duration), so a watchdog can tell the SDK's own
 * slowness from ours.
 */
export function onPhase(listener) {
  phaseListener = listener;
}

/** An instrumented run this much slower than the uninstrumented one is a failure. */
const SLOW_FACTOR = 4;
const SLOW_MARGIN_MS = 1500;

/**
 * Runs the app's consumption twice, uninstrumented and instrumented, and compares what the app
 * saw. `consume(events)` pushes what the app receives and may throw; it must bound itself.
 * Returns a failure text, or undefined.
 */
export async function compareRuns(otel, consume, timeoutMs) {
  const run = async () => {
    const before = unhandled.count;
    const started = performance.now();
    const events = [];
    const controller = new AbortController();
    const outcome = await within(
      timeoutMs,
      consume(events, controller.signal).then(
        () => ({ error: undefined }),
        err => ({ error: describeError(err) }),
      ),
      () => controller.abort(),
    );
    // Spans end, and unhandled rejections surface, on later callbacks: let those run.
    for (let i = 0; i < 5; i++) await tick();
    return {
      events,
      error: outcome.hung ? 'HUNG' : outcome.error,
      unhandled: unhandled.count - before,
      ms: performance.now() - started,
    };
  };

  otel.instrumentation.disable();
  phaseListener('plain');
  const plain = await run();
  otel.instrumentation.enable();
  otel.exporter.reset();
  takeDiagnostics();
  phaseListener('instrumented', plain.ms);
  const governed = await run();

  const failures = [];
  if (plain.error === 'HUNG') return undefined; // the SDK itself hangs on this input: nothing to compare
  if (governed.error !== plain.error) {
    failures.push(
      `outcome differs: uninstrumented ${plain.error ?? 'ok'}; instrumented ${governed.error ?? 'ok'}`,
    );
  }
  if (governed.events.length !== plain.events.length) {
    failures.push(
      `app saw ${plain.events.length} items uninstrumented, ${governed.events.length} instrumented`,
    );
  } else {
    const at = plain.events.findIndex((e, i) => e !== governed.events[i]);
    if (at >= 0) {
      failures.push(
        `item ${at} differs: ${plain.events[at].slice(0, 120)} vs ${governed.events[at].slice(0, 120)}`,
      );
    }
  }
  if (governed.unhandled > plain.unhandled) {
    failures.push(
      `${governed.unhandled} unhandled rejection(s) instrumented, ${plain.unhandled} uninstrumented; last: ${unhandled.last}`,
    );
  }
  if (governed.ms > SLOW_FACTOR * plain.ms + SLOW_MARGIN_MS) {
    failures.push(
      `instrumented run took ${governed.ms.toFixed(0)} ms, uninstrumented ${plain.ms.toFixed(0)} ms`,
    );
  }
  const spans = otel.chatSpans();
  if (spans.length !== 1) failures.push(`${spans.length} chat spans ended (expected exactly 1)`);
  const bad = badDiagnostics(takeDiagnostics());
  if (bad.length > 0)
    failures.push(`diagnostics: ${bad.map(d => `${d.level}: ${d.text}`).join(' | ')}`);
  return failures.length > 0 ? failures.join('; ') : undefined;
}
