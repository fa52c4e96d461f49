// Soak test of the zero-code path: a worker app (soak/worker.mjs) runs under
// `--import axonflow-otel/register` against the sandbox started here, making a fixed number of
// mixed OpenAI / Anthropic calls, while this driver stops and restarts the agent every few
// seconds (outages alternate between 'reset', 'unavailable' and 'stall') and injects model
// faults (429, 500, cut) at a low rate. Spans arrive over OTLP/HTTP JSON at a receiver here.
//
// At the end it checks, and exits 1 if any check fails:
// - no unhandledRejection / uncaughtException in the app;
// - every span ended exactly once: no span id exported twice, no "end() on a span once"
//   diagnostic, one `chat …` span and one `axonflow.pre_check` span per call, no span dropped;
// - the audit trail closes: exported + dropped + skipped + failed = governed calls that reached the
//   model path (calls that were not denied by a policy), nothing left queued or in flight, one
//   `axonflow.audit` span per record sent or skipped or failed, the sandbox stored every exported one;
// - heap after GC at the end within 10 MB of the heap after GC at the warm point;
// - open TCP sockets back to the count before the first call, and the app exits by itself.
//
//   npm run soak                       # 50,000 calls
//   node --expose-gc soak/run.mjs --calls 2500 [--concurrency 16] [--seed 1]
//     [--up-ms 3000] [--down-ms 1200] [--outages reset,unavailable,stall] [--fault-chance 0.3]
// The last line of output is a JSON summary.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSandbox } from 'axonflow-otel/sandbox';
import { runBurst } from './burst.mjs';
import { startReceiver } from './receiver.mjs';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const MB = 1024 * 1024;
const HEAP_BUDGET = 10 * MB;
const OUTAGES = ['reset', 'unavailable', 'stall'];
const MODEL_FAULTS = ['429', '500', 'cut'];

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string', default: '50000' },
    concurrency: { type: 'string', default: '16' },
    seed: { type: 'string', default: '1' },
    'up-ms': { type: 'string', default: '3000' },
    'down-ms': { type: 'string', default: '1200' },
    /** Chance, every 100 ms, of queueing one model fault. */
    'fault-chance': { type: 'string', default: '0.3' },
    /** Agent outage kinds to cycle through, comma-separated, or `none`. */
    outages: { type: 'string', default: 'reset,unavailable,stall' },
    quiet: { type: 'boolean', default: false },
    /** Concurrent calls of the burst phase (soak/burst.mjs) after the soak; 0 skips it. */
    burst: { type: 'string', default: '2000' },
    /** After the soak: an app that handles SIGTERM itself drains, governed, and exits 0. */
    'drain-check': { type: 'boolean', default: true },
  },
  allowNegative: true,
});
const calls = positiveInt('calls');
const concurrency = positiveInt('concurrency');
const seed = positiveInt('seed');
const upMs = positiveInt('up-ms');
const downMs = positiveInt('down-ms');
const faultChance = Number(args['fault-chance']);
const outageKinds = args.outages === 'none' ? [] : args.outages.split(',').map(k => k.trim());
for (const kind of outageKinds) {
  if (!OUTAGES.includes(kind)) {
    process.stderr.write(`--outages: unknown outage ${kind}; use ${OUTAGES.join(', ')}\n`);
    process.exit(2);
  }
}

function positiveInt(name) {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value < 1) {
    process.stderr.write(`--${name} must be a positive integer, got ${args[name]}\n`);
    process.exit(2);
  }
  return value;
}

function log(line) {
  if (!args.quiet) process.stdout.write(`${line}\n`);
}

function mulberry32(s) {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// --- chaos: agent outages and model faults ---------------------------------------------------

function startChaos(sandbox) {
  const rnd = mulberry32(seed * 7919);
  const stats = { outages: Object.fromEntries(outageKinds.map(k => [k, 0])), modelFaults: {} };
  // Starts with the app's first call (`resume()`), not with the app's start-up.
  let active = false;
  let down = false;
  let next = 0;
  let phaseEnds = Date.now() + upMs;
  const timer = setInterval(() => {
    if (!active) return;
    const now = Date.now();
    if (now >= phaseEnds && outageKinds.length > 0) {
      if (down) {
        sandbox.startAgent();
        down = false;
        phaseEnds = now + upMs;
      } else {
        const kind = outageKinds[next++ % outageKinds.length];
        sandbox.stopAgent(kind);
        stats.outages[kind]++;
        down = true;
        phaseEnds = now + downMs;
      }
    }
    if (rnd() < faultChance) {
      const fault = MODEL_FAULTS[Math.floor(rnd() * MODEL_FAULTS.length)];
      sandbox.injectModelFault(fault);
      stats.modelFaults[fault] = (stats.modelFaults[fault] ?? 0) + 1;
    }
  }, 100);
  return {
    stats,
    calm() {
      active = false;
      down = false;
      sandbox.startAgent();
      sandbox.clearFaults();
    },
    resume() {
      active = true;
      phaseEnds = Date.now() + upMs;
    },
    stop() {
      clearInterval(timer);
      this.calm();
    },
  };
}

// --- drain check ----------------------------------------------------------------------------

/** Runs the SIGTERM-draining fixture under the register entry and sends it SIGTERM. */
async function drainCheck() {
  const sandbox = await startSandbox();
  try {
    const child = spawn(
      process.execPath,
      ['--import', 'axonflow-otel/register', 'test/register/fixtures/drain-on-sigterm.mjs'],
      {
        cwd: ROOT,
        env: {
          PATH: process.env.PATH ?? '',
          AXONFLOW_TELEMETRY: 'off',
          AXONFLOW_AGENT_URL: sandbox.agentUrl,
          OPENAI_BASE_URL: sandbox.modelUrl,
          OPENAI_API_KEY: 'sk-soak',
          OTEL_TRACES_EXPORTER: 'none',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    child.stdout.on('data', d => {
      out += d;
      if (out.includes('ready') && !child.signalSent) {
        child.signalSent = true;
        child.kill('SIGTERM');
      }
    });
    const [code, signal] = await new Promise(resolve =>
      child.on('exit', (c, s) => resolve([c, s])),
    );
    return { code, signal, denied: out.includes('drain call: AXONFLOW_POLICY_VIOLATION') };
  } finally {
    await sandbox.close();
  }
}

// --- the run --------------------------------------------------------------------------------

async function run() {
  // The sandbox keeps the last 10,000 audit records in memory; its file keeps them all.
  const dir = mkdtempSync(join(tmpdir(), 'axonflow-soak-'));
  const auditFile = join(dir, 'audit.jsonl');
  const sandbox = await startSandbox({ auditFile });
  const receiver = await startReceiver();
  const chaos = startChaos(sandbox);
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    AXONFLOW_TELEMETRY: 'off',
    AXONFLOW_AGENT_URL: sandbox.agentUrl,
    // Short enough that one soak sees the breaker open, half-open and close many times.
    AXONFLOW_BREAKER_RESET_MS: '2000',
    // Small, so the decision cache is full (and evicting) well before the warm point.
    AXONFLOW_CACHE_MAX: '512',
    OPENAI_BASE_URL: sandbox.modelUrl,
    OPENAI_API_KEY: 'sk-soak-not-a-real-key',
    ANTHROPIC_BASE_URL: sandbox.url,
    ANTHROPIC_API_KEY: 'sk-ant-soak-not-a-real-key',
    OTEL_SERVICE_NAME: 'axonflow-otel-soak',
    OTEL_TRACES_EXPORTER: 'otlp',
    OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
    // Large enough that no span is dropped between exports: a drop would hide an unended span.
    OTEL_BSP_MAX_QUEUE_SIZE: '100000',
    OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2048',
    OTEL_BSP_SCHEDULE_DELAY: '250',
  };
  const child = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'axonflow-otel/register', 'soak/worker.mjs'],
    { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] },
  );
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', d => (output.stdout = (output.stdout + d).slice(-20_000)));
  child.stderr.on('data', d => (output.stderr = (output.stderr + d).slice(-20_000)));
  const exited = new Promise(resolve =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );

  const deadlineMs = 120_000 + calls * 20;
  const started = Date.now();
  let report;
  let fatal;
  let lastProgress = 0;
  const finished = new Promise(resolve => {
    child.on('message', message => {
      switch (message?.type) {
        case 'ready':
          chaos.resume();
          child.send({ type: 'start', options: { calls, concurrency, seed } });
          break;
        case 'progress':
          if (message.done - lastProgress >= Math.max(1000, calls / 20)) {
            lastProgress = message.done;
            const rate = (message.done / (Date.now() - started)) * 1000;
            log(`  ${message.done}/${calls} calls (${rate.toFixed(0)}/s)`);
          }
          break;
        case 'calm':
          chaos.calm();
          child.send({ type: 'calm:ok' });
          break;
        case 'chaos':
          chaos.resume();
          child.send({ type: 'chaos:ok' });
          break;
        case 'report':
          report = message.report;
          resolve();
          break;
        case 'fatal':
          fatal = message;
          resolve();
          break;
      }
    });
    exited.then(() => resolve());
  });
  const deadline = setTimeout(() => {
    fatal ??= { error: `no report within ${deadlineMs} ms` };
    child.kill('SIGKILL');
  }, deadlineMs);

  log(
    `soak: ${calls} calls, concurrency ${concurrency}, seed ${seed}, ${outageKinds.length > 0 ? `outages ${outageKinds.join('/')} every ${upMs} ms for ${downMs} ms` : 'no outages'}, sandbox ${sandbox.url}`,
  );
  await finished;
  clearTimeout(deadline);
  chaos.stop();
  // The app must end by itself once its work is done: anything keeping it alive is a leak.
  const exitTimer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  const exit = await exited;
  clearTimeout(exitTimer);
  // Spans the app flushed are already here; give the receiver's last request a moment.
  await new Promise(resolve => setTimeout(resolve, 200));

  const modelRequests = sandbox.modelRequests();
  await receiver.close();
  await sandbox.close();
  const storedAudits = readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).length;
  rmSync(dir, { recursive: true, force: true });
  return {
    report,
    fatal,
    exit,
    output,
    spans: receiver.stats,
    chaos: chaos.stats,
    storedAudits,
    modelRequests,
  };
}

function evaluate({ report, fatal, exit, output, spans, chaos, storedAudits, modelRequests }) {
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail });
  if (fatal || !report) {
    check(
      'worker reported',
      false,
      `${fatal?.error ?? 'no report'} (exit code ${exit.code}, signal ${exit.signal})`,
    );
    return {
      checks,
      summary: {
        fatal: fatal?.error,
        stdout: output.stdout.slice(-2000),
        stderr: output.stderr.slice(-2000),
      },
    };
  }
  const r = report;
  const governed = r.calls - r.outcomes.denied;
  const a = r.audit;
  const accounted = a.exported + a.dropped + a.skipped + a.failed;
  const spansReachingModel = (spans.decisions.allow ?? 0) + (spans.decisions.fail_open ?? 0);
  const heapGrowth = r.heapEnd - r.heapWarm;

  check('all calls made', r.calls === calls, `${r.calls}/${calls}`);
  check('app exited by itself, code 0', exit.code === 0, `code ${exit.code} signal ${exit.signal}`);
  check(
    'no unhandled rejection or uncaught exception',
    r.unhandledRejections === 0 && r.uncaughtExceptions === 0,
    `${r.unhandledRejections} unhandled rejection(s), ${r.uncaughtExceptions} uncaught exception(s)${r.firstUnhandled ? `; first: ${r.firstUnhandled}` : ''}`,
  );
  check('no error diagnostics from axonflow-otel', r.diag.ourErrors === 0, `${r.diag.ourErrors}`);
  check('no span ended twice', r.diag.spanEndedTwice === 0, `${r.diag.spanEndedTwice}`);
  check('no span dropped before export', r.diag.spansDropped === 0, `${r.diag.spansDropped}`);
  check('no span id exported twice', spans.duplicateSpanIds === 0, `${spans.duplicateSpanIds}`);
  check(
    'one chat span per call',
    spans.chatSpans === r.calls,
    `${spans.chatSpans} spans, ${r.calls} calls`,
  );
  check(
    'one pre-check span per call',
    spans.preCheckSpans === r.calls,
    `${spans.preCheckSpans} spans, ${r.calls} calls`,
  );
  check(
    'no prompt without personal data denied',
    r.outcomes.wrongDenies === 0,
    `${r.outcomes.wrongDenies}`,
  );
  check(
    'audit queue drained',
    a.queued === 0 && a.inFlight === 0,
    `queued ${a.queued}, in flight ${a.inFlight}`,
  );
  check(
    'audit accounting closes',
    accounted === governed,
    `exported ${a.exported} + dropped ${a.dropped} + skipped ${a.skipped} + failed ${a.failed} = ${accounted}; calls ${r.calls} - denied ${r.outcomes.denied} = ${governed}`,
  );
  check(
    'chat spans that reached the model = governed calls',
    spansReachingModel === governed,
    `allow ${spans.decisions.allow ?? 0} + fail_open ${spans.decisions.fail_open ?? 0} = ${spansReachingModel}`,
  );
  check(
    'one audit span per record sent, skipped or failed',
    spans.auditSpans === a.exported + a.skipped + a.failed,
    `${spans.auditSpans} spans (${JSON.stringify(spans.auditOutcomes)})`,
  );
  check(
    'sandbox stored every exported record',
    storedAudits >= a.exported,
    `${storedAudits} stored`,
  );
  check(
    'heap after GC within 10 MB of the warm point',
    heapGrowth <= HEAP_BUDGET,
    `${(r.heapWarm / MB).toFixed(1)} MB at call ${r.warmAt} -> ${(r.heapEnd / MB).toFixed(1)} MB (${heapGrowth >= 0 ? '+' : ''}${(heapGrowth / MB).toFixed(2)} MB)`,
  );
  const before = r.socketsBefore;
  const after = r.socketsAfter;
  check(
    'sockets back to baseline',
    after.active <= before.active && (after.fds === undefined || after.fds <= before.fds),
    `active TCP handles ${before.active} -> ${after.active}, socket descriptors ${before.fds ?? 'n/a'} -> ${after.fds ?? 'n/a'} (${r.socketsSettleMs.toFixed(0)} ms after shutdown)`,
  );

  const summary = {
    calls: r.calls,
    callsPerSecond: Math.round(r.callsPerSecond),
    elapsedSeconds: Number((r.elapsedMs / 1000).toFixed(1)),
    concurrency,
    seed,
    outcomes: {
      ok: r.outcomes.ok,
      denied: r.outcomes.denied,
      errors: r.outcomes.errors,
      byKind: r.outcomes.byKind,
      errorKinds: r.outcomes.errorKinds,
    },
    governedCalls: governed,
    audit: a,
    storedAudits,
    modelRequests,
    spans: {
      total: spans.spans,
      chat: spans.chatSpans,
      chatErrors: spans.chatErrors,
      decisions: spans.decisions,
      preCheck: spans.preCheckSpans,
      delegate: spans.delegateSpans,
      audit: spans.auditSpans,
      auditOutcomes: spans.auditOutcomes,
      duplicateIds: spans.duplicateSpanIds,
      otherScopes: spans.otherScopes,
    },
    heapWarmMB: Number((r.heapWarm / MB).toFixed(2)),
    heapEndMB: Number((r.heapEnd / MB).toFixed(2)),
    heapGrowthMB: Number((heapGrowth / MB).toFixed(2)),
    sockets: { before, after, settleMs: Math.round(r.socketsSettleMs) },
    resourcesAtEnd: r.resources,
    diag: r.diag,
    chaos,
    unhandledRejections: r.unhandledRejections,
    uncaughtExceptions: r.uncaughtExceptions,
  };
  return { checks, summary };
}

const result = await run();
const { checks, summary } = evaluate(result);

// --- burst and drain phases ------------------------------------------------------------------

const burstCalls = Number(args.burst);
if (burstCalls > 0) {
  const burst = await runBurst({ calls: burstCalls, latencyMs: 200 });
  summary.burst = burst;
  checks.push({
    name: 'burst fail-open',
    ok: burst.failOpenPct <= 1,
    detail: `${burst.failOpen} of ${burst.calls} concurrent calls failed open (${burst.failOpenPct} %, at most 1 %) against an agent answering in ${burst.latencyMs} ms`,
  });
  checks.push({
    name: 'burst audit accounting',
    ok: burst.audit.accounted === burst.calls,
    detail: `${burst.audit.accounted} of ${burst.calls} records delivered, queued or counted`,
  });
}
if (args['drain-check']) {
  const drain = await drainCheck();
  summary.drain = drain;
  checks.push({
    name: 'app-handled SIGTERM',
    ok: drain.code === 0 && drain.signal === null && drain.denied,
    detail: `exit ${drain.code ?? drain.signal}, drain call ${drain.denied ? 'denied' : 'NOT denied'}`,
  });
}
const ok = checks.every(c => c.ok);
log('');
log(
  `calls: ${summary.calls ?? '-'} in ${summary.elapsedSeconds ?? '-'} s = ${summary.callsPerSecond ?? '-'} calls/s`,
);
if (summary.burst) {
  const b = summary.burst;
  log(
    `burst: ${b.calls} concurrent calls, agent ${b.latencyMs} ms → fail-open ${b.failOpenPct} %, pre-check p50 ${b.preCheckMs.p50} ms, p99 ${b.preCheckMs.p99} ms`,
  );
}
if (summary.outcomes) {
  log(
    `outcomes: ${JSON.stringify({ ok: summary.outcomes.ok, denied: summary.outcomes.denied, errors: summary.outcomes.errors })}`,
  );
  log(`errors seen by the app: ${JSON.stringify(summary.outcomes.errorKinds)}`);
  log(`audit: ${JSON.stringify(summary.audit)} (sandbox stored ${summary.storedAudits})`);
  const share = n => `${((100 * n) / Math.max(1, summary.governedCalls)).toFixed(1)}%`;
  const a = summary.audit;
  log(
    `audit trail of the ${summary.governedCalls} governed calls: ${share(a.exported)} delivered, ${share(a.skipped)} skipped (failed open), ${share(a.dropped)} dropped, ${share(a.failed)} not delivered`,
  );
  log(`spans: ${JSON.stringify(summary.spans)}`);
  log(`chaos: ${JSON.stringify(summary.chaos)}`);
  log(`diagnostics: ${JSON.stringify(summary.diag)}`);
}
for (const c of checks) log(`${c.ok ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
if (!ok && result.output.stderr) log(`app stderr (tail):\n${result.output.stderr.slice(-3000)}`);
process.stdout.write(
  `${JSON.stringify({ ok, failed: checks.filter(c => !c.ok).map(c => c.name), ...summary })}\n`,
);
process.exitCode = ok ? 0 : 1;
