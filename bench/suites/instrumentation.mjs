// Overhead of AxonFlowInstrumentation on the openai SDK (7.x), CPU time per call:
// - in-process canned `fetch` (no network): uninstrumented, the floor (one hand-written span),
//   ours tracing only, ours governed with a cached decision, ours governed uncached (unique
//   prompts; agent stub in another process), ours with the agent down and the breaker open;
// - streaming, per-chunk cost with content capture off, from 1- and N-chunk streams;
// - one realistic loopback run against the sandbox (model and agent in another process).
// Targets: tracing-only added CPU ≤ 1.25 × the floor's; governed cached ≤ 15 µs above tracing
// only, with p75 ≤ 2 × p50; per-chunk ≤ 2 µs.
process.env.AXONFLOW_TELEMETRY = 'off';

import { createRequire } from 'node:module';
import { MODEL, openaiFetch } from '../lib/canned.mjs';
import { governedRow } from '../lib/compare.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { closedPort, pinSelf, startAgentStub, startSandboxProcess } from '../lib/processes.mjs';
import {
  collectGarbage,
  interleaved,
  pairedCpu,
  pairedRatio,
  pairedRoundMeans,
} from '../lib/rounds.mjs';
import { rounded, spread } from '../lib/stats.mjs';
import {
  counted,
  expectSpans,
  floorSpan,
  openaiUsage,
  PROMPT,
  packageVersion,
  scenarioRow,
} from '../lib/workload.mjs';

const SCOPE = 'axonflow-otel';
const PREFIX = 'instrumentation.openai7';

/** Rounds and calls per batch: CI-sized (quick) or the full run. */
const SIZES = {
  quick: {
    rounds: 3,
    subRounds: 8,
    calls: 10,
    longStreamCalls: 1,
    warmupMs: 150,
    sandboxRounds: 2,
    sandboxCalls: 3,
    inFlight: 1_000,
    flatCalls: { warm: 5_000, measured: 10_000 },
  },
  full: {
    rounds: 8,
    subRounds: 30,
    calls: 20,
    longStreamCalls: 2,
    warmupMs: 800,
    sandboxRounds: 4,
    sandboxCalls: 5,
    inFlight: 2_000,
    flatCalls: { warm: 10_000, measured: 40_000 },
  },
};

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);
  // Constructed before the SDK is required, so the require hook patches the CommonJS build.
  const instrumentation = new AxonFlowInstrumentation({ governance: false });
  instrumentation.setTracerProvider(otel.provider);
  const require = createRequire(import.meta.url);
  const { OpenAI } = require('openai');
  const sdkVersion = packageVersion(require, 'openai');
  // The client's base class owns `request`, which the instrumentation wraps (every method reaches it).
  let base = OpenAI.prototype;
  while (base && !Object.hasOwn(base, 'request')) base = Object.getPrototypeOf(base);
  if (!base?.request?.__wrapped) {
    throw new Error('bench: the instrumentation did not patch openai');
  }

  const stub = await startAgentStub();
  const downPort = await closedPort();
  const agentOptions = { telemetry: false, cache: { ttlMs: 3_600_000 } };
  const cachedAgent = new AxonFlowClient({ endpoint: stub.url, ...agentOptions });
  const uncachedAgent = new AxonFlowClient({ endpoint: stub.url, ...agentOptions });
  const downAgent = new AxonFlowClient({
    endpoint: `http://127.0.0.1:${downPort}`,
    ...agentOptions,
    retry: { enabled: false },
    breaker: { failureThreshold: 1, resetTimeoutMs: 3_600_000 },
  });
  await downAgent.preCheck({ query: 'open the breaker' });
  if (downAgent.breakerState !== 'open') throw new Error('bench: breaker did not open');

  const sdk = chunks =>
    new OpenAI({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: openaiFetch({ chunks }),
      maxRetries: 0,
    });
  const openai = sdk(1);
  const chat = (client, content) =>
    client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content }] });
  const off = () => instrumentation.disable();
  const use = config => () => {
    instrumentation.setConfig(config);
    instrumentation.enable();
  };
  let unique = 0;

  const rows = [];
  try {
    // --- 1. In-process fetch: the cost of each mode ----------------------------------------
    const scenarios = [
      { name: 'uninstrumented', enter: off, call: () => chat(openai, PROMPT), spans: 0 },
      {
        name: 'floor (one hand-written span)',
        enter: off,
        call: () =>
          floorSpan(
            otel.tracer,
            { provider: 'openai', model: MODEL },
            () => chat(openai, PROMPT),
            openaiUsage,
          ),
        spans: 1,
      },
      {
        name: 'ours: tracing only',
        enter: use({ governance: false }),
        call: () => chat(openai, PROMPT),
        spans: 1,
      },
      {
        name: 'ours: governed, cached decision',
        enter: use({ client: cachedAgent }),
        call: () => chat(openai, PROMPT),
        spans: 3,
      },
      {
        name: 'ours: governed, uncached (agent stub RTT)',
        enter: use({ client: uncachedAgent }),
        call: () => chat(openai, `${PROMPT} #${unique++}`),
        spans: 3,
      },
      {
        name: 'ours: agent down, breaker open',
        enter: use({ client: downAgent }),
        call: () => chat(openai, PROMPT),
        spans: 3,
      },
    ];
    await verify(otel, instrumentation, scenarios);
    const results = await interleaved({
      scenarios: scenarios.map(s => counted(otel, s, s.spans)),
      rounds: size.rounds,
      subRounds: size.subRounds,
      calls: size.calls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    const [s0, floor, tracing, cached] = scenarios.map(s => s.name);
    for (const s of scenarios) {
      rows.push(
        scenarioRow(PREFIX, s.name, results, s0, `openai ${sdkVersion}, in-process fetch`, {
          sdk: `openai ${sdkVersion}`,
          pinned,
          beyondScale: s.name.includes('uncached'),
        }),
      );
    }
    const addedOurs = pairedCpu(results.get(tracing), results.get(s0));
    const addedFloor = pairedCpu(results.get(floor), results.get(s0));
    // A floor that adds nothing measurable (noise) leaves the ratio undefined, not passed.
    const strict = addedFloor.p50 > 0 ? addedOurs.p50 / addedFloor.p50 : null;
    const totalRatio = pairedRatio(results.get(tracing).cpu, results.get(floor).cpu);
    rows.push({
      name: `${PREFIX} tracing only vs floor, added CPU (strict reading, the one judged)`,
      unit: '×',
      value: strict === null ? null : rounded(strict, 3),
      target: '<= 1.25',
      pass: strict === null ? null : strict <= 1.25,
      details: rounded({
        formula:
          '(ours_tracing_only − uninstrumented) / (floor − uninstrumented), CPU µs per call, medians of per-sub-round differences',
        oursAddedCpuUs: addedOurs,
        floorAddedCpuUs: addedFloor,
        totalCpuRatio: totalRatio.p50,
        onRoundMeans: {
          oursAddedCpuUs: pairedRoundMeans(results.get(tracing), results.get(s0)),
          floorAddedCpuUs: pairedRoundMeans(results.get(floor), results.get(s0)),
        },
      }),
    });
    rows.push({
      name: `${PREFIX} tracing only vs floor, total CPU per call (lenient reading)`,
      unit: '×',
      value: rounded(totalRatio.p50, 3),
      target: '<= 1.25 (not judged)',
      pass: null,
      details: rounded({
        formula: 'ours_tracing_only / floor, CPU µs per call, median of per-round ratios',
        spread: { p25: totalRatio.p25, p75: totalRatio.p75 },
        strictRatio: strict,
      }),
    });
    rows.push(governedRow(PREFIX, results, { tracing, cached }));

    // --- 2. Streaming: per-chunk cost, content capture off ----------------------------------
    const N = 200;
    const one = sdk(1);
    const many = sdk(N);
    const consume = async (client, want) => {
      const stream = await client.chat.completions.create({
        model: MODEL,
        messages: [{ role: 'user', content: PROMPT }],
        stream: true,
      });
      let n = 0;
      for await (const _chunk of stream) n++;
      if (n !== want) throw new Error(`bench: stream gave ${n} chunks, expected ${want}`);
    };
    const tracingOnly = use({ governance: false, captureMessageContent: false });
    const streams = [
      { name: 'stream 1 chunk, uninstrumented', enter: off, call: () => consume(one, 1), spans: 0 },
      {
        name: 'stream 1 chunk, ours tracing only',
        enter: tracingOnly,
        call: () => consume(one, 1),
        spans: 1,
      },
      {
        name: `stream ${N} chunks, uninstrumented`,
        enter: off,
        call: () => consume(many, N),
        spans: 0,
        calls: size.longStreamCalls,
      },
      {
        name: `stream ${N} chunks, ours tracing only`,
        enter: tracingOnly,
        call: () => consume(many, N),
        spans: 1,
        calls: size.longStreamCalls,
      },
    ];
    await verify(otel, instrumentation, streams);
    const streamResults = await interleaved({
      scenarios: streams.map(s => counted(otel, s, s.spans)),
      rounds: size.rounds,
      subRounds: size.subRounds,
      calls: size.calls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    const [p1, o1, pN, oN] = streams.map(s => streamResults.get(s.name));
    const perChunk = metric =>
      spread(
        p1[metric].map(
          (_, i) => (oN[metric][i] - pN[metric][i] - (o1[metric][i] - p1[metric][i])) / (N - 1),
        ),
      );
    const perChunkCpu = perChunk('cpu');
    for (const [i, s] of streams.entries()) {
      rows.push(
        scenarioRow(
          PREFIX,
          s.name,
          streamResults,
          i < 2 ? streams[0].name : streams[2].name,
          null,
          {
            sdk: `openai ${sdkVersion}`,
          },
        ),
      );
    }
    rows.push({
      name: `${PREFIX} stream per-chunk overhead, capture off (N = ${N})`,
      unit: 'µs CPU',
      value: rounded(perChunkCpu.p50, 3),
      target: '<= 2',
      pass: perChunkCpu.p50 <= 2,
      details: rounded(
        {
          formula: '((S(N)ours − S(N)plain) − (S(1)ours − S(1)plain)) / (N − 1), CPU µs per call',
          spread: perChunkCpu,
          wallUsPerChunk: perChunk('wall'),
          onRoundMeans: perChunk('roundCpu'),
        },
        3,
      ),
    });

    // --- 3. Memory: per call in flight, and flat over many calls ------------------------------
    rows.push(
      ...(await memoryRows({ size, otel, OpenAI, use, off, cachedAgent, chat, sdkVersion })),
    );

    // --- 3. Realistic: loopback to the sandbox (model + agent in another process) ------------
    rows.push(
      ...(await sandboxRun({ size, otel, instrumentation, OpenAI, AxonFlowClient, use, off })),
    );
  } finally {
    instrumentation.disable();
    await Promise.all([cachedAgent.close(), uncachedAgent.close(), downAgent.close()]);
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

/** Runs each scenario twice and checks the spans it produced, before anything is measured. */
async function verify(otel, instrumentation, scenarios) {
  for (const s of scenarios) {
    await s.enter();
    const spans = await otel.capture(async () => {
      await s.call();
      await s.call();
    });
    expectSpans(s.name, spans, found => {
      if (found.length !== 2 * s.spans) return false;
      const chat = found.filter(x => x.name === `chat ${MODEL}`);
      if (s.name.startsWith('floor')) return chat.every(x => x.scope === 'bench-floor');
      if (!s.name.includes('ours')) return true;
      if (!chat.every(x => x.scope === SCOPE)) return false;
      const a = chat[1]?.attributes ?? {};
      if (s.name.includes('tracing only')) return a['axonflow.decision'] === 'skipped';
      if (s.name.includes('cached decision')) return a['axonflow.cache.hit'] === true;
      if (s.name.includes('uncached')) return a['axonflow.cache.hit'] === false;
      if (s.name.includes('breaker open')) return a['axonflow.fail_open.reason'] === 'circuit_open';
      return true;
    });
  }
  instrumentation.disable();
}

async function sandboxRun({ size, otel, instrumentation, OpenAI, AxonFlowClient, use, off }) {
  const sandbox = await startSandboxProcess();
  const agent = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  // The SDK's own fetch (Node's global fetch) over loopback: the realistic path.
  const openai = new OpenAI({ apiKey: 'sandbox', baseURL: sandbox.modelUrl, maxRetries: 0 });
  const chat = content =>
    openai.chat.completions.create({
      model: 'sandbox-model',
      messages: [{ role: 'user', content }],
    });
  let unique = 0;
  const scenarios = [
    { name: 'sandbox: uninstrumented', enter: off, call: () => chat(PROMPT), spans: 0 },
    {
      name: 'sandbox: ours tracing only',
      enter: use({ governance: false }),
      call: () => chat(PROMPT),
      spans: 1,
    },
    {
      name: 'sandbox: ours governed, cached decision',
      enter: use({ client: agent }),
      call: () => chat(PROMPT),
      spans: 3,
    },
    {
      name: 'sandbox: ours governed, uncached',
      enter: use({ client: agent }),
      call: () => chat(`${PROMPT} #${unique++}`),
      spans: 3,
    },
  ];
  try {
    const results = await interleaved({
      scenarios: scenarios.map(s => counted(otel, s, s.spans)),
      rounds: size.sandboxRounds,
      subRounds: size.subRounds,
      calls: size.sandboxCalls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    instrumentation.disable();
    return scenarios.map(s =>
      scenarioRow(PREFIX, s.name, results, scenarios[0].name, null, {
        transport: 'loopback HTTP to the sandbox process (SDK default fetch; agent via undici)',
      }),
    );
  } finally {
    instrumentation.disable();
    await agent.close();
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}

/** `heapUsed` after a full GC, with the tracer's queued spans exported first. */
async function settledHeap(otel) {
  await otel.flush();
  collectGarbage('full');
  await new Promise(resolve => setImmediate(resolve));
  collectGarbage('full');
  return process.memoryUsage().heapUsed;
}

/**
 * Heap per call in flight: `inFlight` calls are started and held at the model (a `fetch` that
 * answers only when released), so each holds all it holds while it waits; the heap is read after
 * a full GC before they start and with them all waiting. The SDK's own share is the
 * uninstrumented row; ours is the difference. Then heap growth over sequential governed calls
 * (cached decision), read after a warm-up and at the end (50,000 calls in all in a full run): a
 * retained object per call (≥ 40 bytes each) would show as growth.
 */
async function memoryRows({ size, otel, OpenAI, use, off, cachedAgent, chat, sdkVersion }) {
  const held = [];
  const answer = openaiFetch({ chunks: 1 });
  const holding = new OpenAI({
    apiKey: 'bench',
    baseURL: 'http://127.0.0.1:9/v1',
    maxRetries: 0,
    fetch: async (url, init) => {
      await new Promise(resolve => held.push(resolve));
      return answer(url, init);
    },
  });
  const modes = [
    { name: 'uninstrumented', enter: off },
    { name: 'ours: tracing only', enter: use({ governance: false }) },
    { name: 'ours: governed, cached decision', enter: use({ client: cachedAgent }) },
  ];
  const n = size.inFlight;
  const perCall = new Map();
  // Two passes over the modes, the second one kept: the first pass also holds one-time growth
  // (code compiled, SDK caches filled) of whichever mode runs first.
  for (const pass of [1, 2]) {
    for (const mode of modes) {
      await mode.enter();
      const before = await settledHeap(otel);
      const calls = [];
      for (let i = 0; i < n; i++) calls.push(chat(holding, PROMPT));
      const deadline = performance.now() + 30_000;
      while (held.length < n) {
        if (performance.now() > deadline) {
          throw new Error(`bench: ${held.length} of ${n} calls reached the model`);
        }
        await new Promise(resolve => setImmediate(resolve));
      }
      const during = await settledHeap(otel);
      for (const release of held.splice(0)) release();
      await Promise.all(calls);
      // Emptied, not left to go out of scope: a suspended async function can keep a dead
      // block's variables alive, and the next mode's baseline would hold these results.
      calls.length = 0;
      if (pass === 2) perCall.set(mode.name, (during - before) / n);
    }
  }
  const base = perCall.get('uninstrumented');
  const rows = modes.map(mode => ({
    name: `${PREFIX} heap per call in flight, ${mode.name}`,
    unit: 'bytes',
    value: Math.round(perCall.get(mode.name)),
    target: null,
    pass: null,
    details: {
      inFlight: n,
      oursAboveUninstrumented:
        mode.name === 'uninstrumented' ? null : Math.round(perCall.get(mode.name) - base),
      sdk: `openai ${sdkVersion}`,
    },
  }));

  const governed = modes[2];
  await governed.enter();
  const openai = new OpenAI({
    apiKey: 'bench',
    baseURL: 'http://127.0.0.1:9/v1',
    maxRetries: 0,
    fetch: answer,
  });
  const { warm, measured } = size.flatCalls;
  for (let i = 0; i < warm; i++) await chat(openai, PROMPT);
  const early = await settledHeap(otel);
  for (let i = 0; i < measured; i++) await chat(openai, PROMPT);
  const late = await settledHeap(otel);
  const growth = late - early;
  // 26 bytes a call (1 MiB over 40,000 calls): less than one retained object each.
  const bound = Math.round(measured * 26);
  rows.push({
    name: `${PREFIX} heap growth over ${measured.toLocaleString('en-US')} governed calls (after ${warm.toLocaleString('en-US')})`,
    unit: 'bytes',
    value: growth,
    target: `<= ${bound}`,
    pass: growth <= bound,
    details: { bytesPerCall: growth / measured, earlyHeapBytes: early, lateHeapBytes: late },
  });
  return rows;
}
