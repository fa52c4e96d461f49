// The same workload under each peer instrumentation, next to ours: openai 6 chat completions and
// @anthropic-ai/sdk 0.x messages, both on an in-process canned `fetch`. Scenarios per SDK:
// uninstrumented, the floor (one hand-written span), ours tracing only, ours governed with a
// cached decision (agent stub in another process), and each peer alone, with its default
// configuration and with its content capture turned off. Every instrumentation is constructed
// before the SDKs are required and then disabled, so the require hook records each SDK without
// patching it; a scenario enables exactly one. A peer counts only if a call made while it is
// enabled produces a span of its own; otherwise its row says "did not patch".
// Also: retained heap per 10,000 calls (after a full GC) for each scenario.
// The peers and their SDK versions live in bench/peers (npm install --prefix bench/peers).
process.env.AXONFLOW_TELEMETRY = 'off';

import { createRequire } from 'node:module';
import { ANTHROPIC_MODEL, anthropicFetch, MODEL, openaiFetch } from '../lib/canned.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { pinSelf, startAgentStub } from '../lib/processes.mjs';
import { collectGarbage, interleaved, pairedCpu, progress } from '../lib/rounds.mjs';
import { rounded } from '../lib/stats.mjs';
import {
  anthropicUsage,
  counted,
  floorSpan,
  openaiUsage,
  PROMPT,
  packageVersion,
  scenarioRow,
} from '../lib/workload.mjs';

const PEERS_DIR = new URL('../peers/', import.meta.url);

/** Rounds, calls per batch and heap calls: CI-sized (quick) or the full run. */
const SIZES = {
  quick: { rounds: 2, subRounds: 6, calls: 10, warmupMs: 150, heapWarm: 0, heapCalls: 0 },
  full: { rounds: 5, subRounds: 25, calls: 15, warmupMs: 600, heapWarm: 500, heapCalls: 10_000 },
};

function loadPeerRequire() {
  const peerRequire = createRequire(new URL('package.json', PEERS_DIR));
  try {
    peerRequire.resolve('openai');
  } catch {
    throw new Error('bench: peers are not installed; run: npm install --prefix bench/peers');
  }
  return peerRequire;
}

/** The peer instrumentations, by SDK: how to build each, and what its capture setting is. */
function peerDefinitions(peerRequire) {
  const make = (pkg, exportName, config) => () => {
    const Cls = peerRequire(pkg)[exportName];
    return new Cls(config);
  };
  return {
    openai: [
      {
        label: 'contrib @opentelemetry/instrumentation-openai',
        short: 'contrib instrumentation-openai',
        pkg: '@opentelemetry/instrumentation-openai',
        capture: 'off (default)',
        make: make('@opentelemetry/instrumentation-openai', 'OpenAIInstrumentation', {}),
      },
      {
        label: '@traceloop/instrumentation-openai (defaults)',
        short: 'traceloop (defaults)',
        pkg: '@traceloop/instrumentation-openai',
        capture: 'on (traceContent defaults to true)',
        make: make('@traceloop/instrumentation-openai', 'OpenAIInstrumentation', {}),
      },
      {
        label: '@traceloop/instrumentation-openai (traceContent off)',
        short: 'traceloop (traceContent off)',
        pkg: '@traceloop/instrumentation-openai',
        capture: 'off',
        make: make('@traceloop/instrumentation-openai', 'OpenAIInstrumentation', {
          traceContent: false,
        }),
      },
      {
        label: '@arizeai/openinference-instrumentation-openai (defaults)',
        short: 'openinference (defaults)',
        pkg: '@arizeai/openinference-instrumentation-openai',
        capture: 'on (hide* default to false)',
        make: make('@arizeai/openinference-instrumentation-openai', 'OpenAIInstrumentation', {}),
      },
      {
        label: '@arizeai/openinference-instrumentation-openai (inputs/outputs hidden)',
        short: 'openinference (inputs/outputs hidden)',
        pkg: '@arizeai/openinference-instrumentation-openai',
        capture: 'off (hideInputs, hideOutputs)',
        make: make('@arizeai/openinference-instrumentation-openai', 'OpenAIInstrumentation', {
          traceConfig: { hideInputs: true, hideOutputs: true },
        }),
      },
    ],
    anthropic: [
      {
        label: '@traceloop/instrumentation-anthropic (defaults)',
        short: 'traceloop (defaults)',
        pkg: '@traceloop/instrumentation-anthropic',
        capture: 'on (traceContent defaults to true)',
        make: make('@traceloop/instrumentation-anthropic', 'AnthropicInstrumentation', {}),
      },
      {
        label: '@traceloop/instrumentation-anthropic (traceContent off)',
        short: 'traceloop (traceContent off)',
        pkg: '@traceloop/instrumentation-anthropic',
        capture: 'off',
        make: make('@traceloop/instrumentation-anthropic', 'AnthropicInstrumentation', {
          traceContent: false,
        }),
      },
      {
        label: '@arizeai/openinference-instrumentation-anthropic (defaults)',
        short: 'openinference (defaults)',
        pkg: '@arizeai/openinference-instrumentation-anthropic',
        capture: 'on (hide* default to false)',
        make: make(
          '@arizeai/openinference-instrumentation-anthropic',
          'AnthropicInstrumentation',
          {},
        ),
      },
      {
        label: '@arizeai/openinference-instrumentation-anthropic (inputs/outputs hidden)',
        short: 'openinference (inputs/outputs hidden)',
        pkg: '@arizeai/openinference-instrumentation-anthropic',
        capture: 'off (hideInputs, hideOutputs)',
        make: make('@arizeai/openinference-instrumentation-anthropic', 'AnthropicInstrumentation', {
          traceConfig: { hideInputs: true, hideOutputs: true },
        }),
      },
    ],
  };
}

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire();
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);

  // Every instrumentation first (each registers its require hook), then disabled.
  const ours = new AxonFlowInstrumentation({ governance: false });
  const defs = peerDefinitions(peerRequire);
  const all = [ours];
  for (const list of Object.values(defs)) {
    for (const def of list) {
      def.instance = def.make();
      def.version = packageVersion(peerRequire, def.pkg);
      all.push(def.instance);
    }
  }
  for (const instance of all) {
    instance.setTracerProvider(otel.provider);
    instance.disable();
  }
  const OpenAI = peerRequire('openai').OpenAI;
  const Anthropic = peerRequire('@anthropic-ai/sdk').Anthropic;
  const versions = {
    openai: packageVersion(peerRequire, 'openai'),
    anthropic: packageVersion(peerRequire, '@anthropic-ai/sdk'),
  };

  let active;
  const activate = (instance, configure) => async () => {
    if (active && active !== instance) active.disable();
    configure?.();
    if (instance) instance.enable();
    active = instance;
  };

  const stub = await startAgentStub();
  const agent = new AxonFlowClient({
    endpoint: stub.url,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const rows = [];
  try {
    const openai = new OpenAI({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: openaiFetch(),
      maxRetries: 0,
    });
    const anthropic = new Anthropic({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9',
      fetch: anthropicFetch(),
      maxRetries: 0,
    });
    const workloads = [
      {
        prefix: `peers.openai6`,
        sdk: `openai ${versions.openai}`,
        provider: 'openai',
        model: MODEL,
        usage: openaiUsage,
        call: () =>
          openai.chat.completions.create({
            model: MODEL,
            messages: [{ role: 'user', content: PROMPT }],
          }),
        peers: defs.openai,
      },
      {
        prefix: `peers.anthropic0`,
        sdk: `@anthropic-ai/sdk ${versions.anthropic}`,
        provider: 'anthropic',
        model: ANTHROPIC_MODEL,
        usage: anthropicUsage,
        call: () =>
          anthropic.messages.create({
            model: ANTHROPIC_MODEL,
            max_tokens: 64,
            messages: [{ role: 'user', content: PROMPT }],
          }),
        peers: defs.anthropic,
      },
    ];
    for (const w of workloads) {
      rows.push(...(await runWorkload({ w, size, otel, ours, agent, activate, pinned })));
    }
  } finally {
    for (const instance of all) instance.disable();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

async function runWorkload({ w, size, otel, ours, agent, activate, pinned }) {
  const scenarios = [
    { name: 'uninstrumented', enter: activate(undefined), call: w.call },
    {
      name: 'floor (one hand-written span)',
      enter: activate(undefined),
      call: () => floorSpan(otel.tracer, { provider: w.provider, model: w.model }, w.call, w.usage),
    },
    {
      name: 'ours: tracing only',
      enter: activate(ours, () => ours.setConfig({ governance: false })),
      call: w.call,
      scope: ours.instrumentationName,
    },
    {
      name: 'ours: governed, cached decision',
      enter: activate(ours, () => ours.setConfig({ client: agent })),
      call: w.call,
      scope: ours.instrumentationName,
    },
    ...w.peers.map(p => ({
      name: p.label,
      enter: activate(p.instance),
      call: w.call,
      scope: p.instance.instrumentationName,
      peer: p,
    })),
  ];

  // Which scenarios really trace: a scenario with a scope must produce spans of that scope.
  const rows = [];
  const live = [];
  for (const s of scenarios) {
    await s.enter();
    let spans;
    let failure;
    try {
      spans = await otel.capture(async () => {
        await s.call();
        await s.call();
      });
    } catch (err) {
      failure = `the call failed while it was enabled: ${err?.message ?? err}`;
    }
    const own = spans?.filter(x => x.scope === s.scope) ?? [];
    if (s.scope && own.length === 0) {
      failure ??= `no span from ${s.scope} (saw ${spans.map(x => x.scope).join(', ') || 'none'})`;
    }
    if (failure) {
      rows.push({
        name: `${w.prefix} ${s.name}: CPU per call`,
        unit: 'µs',
        value: null,
        target: null,
        pass: null,
        details: { status: 'did not patch', reason: failure, sdk: w.sdk, version: s.peer?.version },
      });
      continue;
    }
    s.spans = spans.length / 2;
    live.push(s);
  }
  await activate(undefined)();

  const results = await interleaved({
    scenarios: live.map(s => counted(otel, s, s.spans)),
    rounds: size.rounds,
    subRounds: size.subRounds,
    calls: size.calls,
    warmupMs: size.warmupMs,
    settle: otel.flush,
  });

  const heapCalls = size.heapCalls;
  const oursAdded = pairedCpu(results.get('ours: tracing only'), results.get('uninstrumented'));
  progress(`${w.prefix}: heap`);
  for (const s of live) {
    const heap = size.heapCalls ? await retainedHeap(s, otel, heapCalls, size.heapWarm) : undefined;
    const extra = {
      sdk: w.sdk,
      spansPerCall: s.spans,
      heapPer10kCallsKiB: heap?.per10kKiB,
      heap: heap ?? 'measured in full mode only',
      pinned,
    };
    if (s.peer) {
      extra.version = s.peer.version;
      extra.contentCapture = s.peer.capture;
      extra.chartLabel = s.peer.short;
    }
    const row = scenarioRow(
      w.prefix,
      s.name,
      results,
      'uninstrumented',
      `${w.sdk}, in-process fetch`,
      extra,
    );
    if (row.details.addedCpuUs && s.name !== 'ours: tracing only') {
      row.details.addedVsOursTracingOnly = rounded(row.details.addedCpuUs.p50 / oursAdded.p50);
    }
    rows.push(row);
  }
  await activate(undefined)();
  return rows;
}

/**
 * Heap in use after a full GC (spans flushed) across two consecutive runs of `calls` calls,
 * after `warm` calls. The first run still includes one-time growth (code and feedback of paths
 * the timed rounds did not reach, lazily built caches): the second is the retention per call.
 */
async function retainedHeap(s, otel, calls, warm) {
  await s.enter();
  for (let i = 0; i < warm; i++) await s.call();
  const heap = async () => {
    await otel.flush();
    collectGarbage();
    return process.memoryUsage().heapUsed;
  };
  const h0 = await heap();
  for (let i = 0; i < calls; i++) await s.call();
  const h1 = await heap();
  for (let i = 0; i < calls; i++) await s.call();
  const h2 = await heap();
  const perTenK = bytes => (bytes / 1024) * (10_000 / calls);
  return rounded({ calls, firstRunPer10kKiB: perTenK(h1 - h0), per10kKiB: perTenK(h2 - h1) }, 1);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
