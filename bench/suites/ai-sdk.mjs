// Overhead on the Vercel AI SDK (`ai` 7 with `@ai-sdk/openai` 4, the root devDependencies),
// CPU time per `generateText` call:
// - in-process canned `fetch` (no network; the provider's chat model, `provider.chat(id)`, whose
//   route the canned chat completion answers): uninstrumented, the floor (one hand-written span),
//   the AI SDK's own telemetry (`@ai-sdk/otel`'s `OpenTelemetry` integration, registered with
//   `registerTelemetry`, from bench/peers) with its defaults and with inputs/outputs not recorded,
//   ours tracing only, ours governed with a cached decision (agent stub in another process);
// - one realistic loopback run against the sandbox (model and agent in another process).
// Ours is applied as an app gets it: `AxonFlowInstrumentation` constructed before `ai` is
// required, its require hook handing the app a patched copy of the module (see `run`).
// Targets: ours tracing only adds less CPU than the AI SDK's telemetry in each configuration;
// governed cached ≤ 15 µs above tracing only, p75 ≤ 2 × p50 (the bound instrumentation.openai7 has).
process.env.AXONFLOW_TELEMETRY = 'off';

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MODEL, openaiFetch } from '../lib/canned.mjs';
import {
  belowPeersRow,
  floorOnly,
  governedRow,
  loadPeerRequire,
  none,
  oursCached,
  oursTracing,
  probe,
} from '../lib/compare.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { pinSelf, startAgentStub, startSandboxProcess } from '../lib/processes.mjs';
import { interleaved, pairedCpu } from '../lib/rounds.mjs';
import { rounded } from '../lib/stats.mjs';
import {
  aiSdkResponse,
  aiSdkUsage,
  counted,
  floorSpan,
  PROMPT,
  packageVersion,
  scenarioRow,
} from '../lib/workload.mjs';

const PREFIX = 'ai-sdk.ai7';
const SANDBOX_MODEL = 'sandbox-model';
const TELEMETRY_SCOPE = 'gen_ai';
const OURS_APPLIED =
  'AxonFlowInstrumentation constructed before require("ai"); its require hook hands the app a copy of the ai namespace whose generateText governs the model (wrapLanguageModel + the AxonFlow middleware)';

/** Rounds and calls per batch: CI-sized (quick) or the full run. */
const SIZES = {
  quick: { rounds: 2, subRounds: 6, calls: 8, warmupMs: 150, sandboxRounds: 2, sandboxCalls: 3 },
  full: { rounds: 6, subRounds: 25, calls: 15, warmupMs: 800, sandboxRounds: 4, sandboxCalls: 5 },
};

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire('@ai-sdk/otel');
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);

  // Enabled while `ai` is required: ai 7 is an ES module, so `require` hands out its namespace,
  // which cannot be patched in place; the hook returns a patched copy instead, and only a hook
  // that is enabled at that moment gives the app the copy. `disable()` / `enable()` then unwrap
  // and rewrap the copy's functions, so the scenarios can switch ours off and on.
  const ours = new AxonFlowInstrumentation({ governance: false });
  ours.setTracerProvider(otel.provider);
  const require = createRequire(import.meta.url);
  const ai = require('ai');
  const { createOpenAI } = require('@ai-sdk/openai');
  if (!ai.generateText.__wrapped) throw new Error('bench: the instrumentation did not patch ai');
  ours.disable();
  const otelPath = peerRequire.resolve('@ai-sdk/otel');
  const { OpenTelemetry } = await import(pathToFileURL(otelPath).href);
  const aiTelemetry = new OpenTelemetry();
  const versions = {
    ai: packageVersion(require, 'ai'),
    openai: packageVersion(require, '@ai-sdk/openai'),
    otel: packageVersion(peerRequire, '@ai-sdk/otel'),
  };
  const sdk = `ai ${versions.ai} + @ai-sdk/openai ${versions.openai}`;

  // ai 7 keeps the integrations `registerTelemetry` adds in one global list and has no way to
  // remove one: the AI SDK telemetry scenarios put ours in that list and take it out again.
  const telemetry = on => {
    const list = globalThis.AI_SDK_TELEMETRY_INTEGRATIONS ?? [];
    const at = list.indexOf(aiTelemetry);
    if (on && at < 0) ai.registerTelemetry(aiTelemetry);
    if (!on && at >= 0) list.splice(at, 1);
  };
  const mode =
    ({ config, aiSdk = false } = {}) =>
    () => {
      telemetry(aiSdk);
      if (config) {
        ours.setConfig(config);
        ours.enable();
      } else ours.disable();
    };

  const stub = await startAgentStub();
  const agent = new AxonFlowClient({
    endpoint: stub.url,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const rows = [];
  try {
    const provider = createOpenAI({
      apiKey: 'bench',
      baseURL: 'http://127.0.0.1:9/v1',
      fetch: openaiFetch(),
    });
    const model = provider.chat(MODEL);
    const generate = extra => ai.generateText({ model, prompt: PROMPT, ...extra });
    const unrecorded = { telemetry: { recordInputs: false, recordOutputs: false } };
    const peer = {
      version: versions.otel,
      applied: `registerTelemetry(new OpenTelemetry()) with @ai-sdk/otel ${versions.otel} (bench/peers); without an integration ai 7 makes no span`,
    };
    const scenarios = [
      { name: 'uninstrumented', enter: mode(), call: () => generate(), expect: none },
      {
        name: 'floor (one hand-written span)',
        enter: mode(),
        call: () =>
          floorSpan(
            otel.tracer,
            { provider: 'openai', model: MODEL },
            () => generate(),
            aiSdkUsage,
            aiSdkResponse,
          ),
        expect: floorOnly,
      },
      {
        name: `AI SDK telemetry: @ai-sdk/otel ${versions.otel} (defaults)`,
        short: 'AI SDK telemetry (defaults)',
        enter: mode({ aiSdk: true }),
        call: () => generate(),
        scope: TELEMETRY_SCOPE,
        peer: { ...peer, capture: 'on (recordInputs, recordOutputs default to true)' },
      },
      {
        name: `AI SDK telemetry: @ai-sdk/otel ${versions.otel} (inputs/outputs not recorded)`,
        short: 'AI SDK telemetry (inputs/outputs off)',
        enter: mode({ aiSdk: true }),
        call: () => generate(unrecorded),
        scope: TELEMETRY_SCOPE,
        peer: {
          ...peer,
          capture: 'off (telemetry: { recordInputs: false, recordOutputs: false })',
        },
      },
      {
        name: 'ours: tracing only',
        enter: mode({ config: { governance: false } }),
        call: () => generate(),
        expect: oursTracing(`chat ${MODEL}`),
      },
      {
        name: 'ours: governed, cached decision',
        enter: mode({ config: { client: agent } }),
        call: () => generate(),
        expect: oursCached(`chat ${MODEL}`),
      },
    ];
    const probed = await probe(otel, scenarios, { prefix: PREFIX, sdk });
    rows.push(...probed.rows);
    await mode()();
    const results = await interleaved({
      scenarios: probed.live.map(s => counted(otel, s, s.spans)),
      rounds: size.rounds,
      subRounds: size.subRounds,
      calls: size.calls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    const live = new Set(probed.live.map(s => s.name));
    const oursAdded = pairedCpu(results.get('ours: tracing only'), results.get('uninstrumented'));
    for (const s of probed.live) {
      const row = scenarioRow(
        PREFIX,
        s.name,
        results,
        'uninstrumented',
        `${sdk}, in-process fetch`,
        {
          sdk,
          spansPerCall: s.spans,
          pinned,
          ...(s.peer
            ? { version: s.peer.version, contentCapture: s.peer.capture, applied: s.peer.applied }
            : {}),
          ...(s.name.startsWith('ours') ? { applied: OURS_APPLIED } : {}),
          ...(s.short ? { chartLabel: s.short } : {}),
          model: 'provider.chat(id): chat completions, the route the canned fetch answers',
        },
      );
      if (row.details.addedCpuUs && s.name !== 'ours: tracing only') {
        row.details.addedVsOursTracingOnly = rounded(row.details.addedCpuUs.p50 / oursAdded.p50);
      }
      rows.push(row);
    }
    const peers = scenarios.filter(s => s.peer && live.has(s.name)).map(s => s.name);
    rows.push(
      belowPeersRow(PREFIX, results, {
        baseline: 'uninstrumented',
        tracing: 'ours: tracing only',
        peers,
        what: "the AI SDK's own telemetry",
      }),
      governedRow(PREFIX, results, {
        tracing: 'ours: tracing only',
        cached: 'ours: governed, cached decision',
      }),
    );

    rows.push(
      ...(await sandboxRun({ size, otel, ai, createOpenAI, AxonFlowClient, mode, sdk, pinned })),
    );
  } finally {
    telemetry(false);
    ours.disable();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

/** The same calls over loopback HTTP to the sandbox's OpenAI route (the provider's own fetch). */
async function sandboxRun({ size, otel, ai, createOpenAI, AxonFlowClient, mode, sdk, pinned }) {
  const sandbox = await startSandboxProcess();
  const agent = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const model = createOpenAI({ apiKey: 'sandbox', baseURL: sandbox.modelUrl }).chat(SANDBOX_MODEL);
  const generate = () => ai.generateText({ model, prompt: PROMPT });
  const scenarios = [
    { name: 'sandbox: uninstrumented', enter: mode(), call: generate, expect: none },
    {
      name: 'sandbox: AI SDK telemetry (defaults)',
      enter: mode({ aiSdk: true }),
      call: generate,
      expect: spans => spans.length > 0 && spans.every(x => x.scope === TELEMETRY_SCOPE),
    },
    {
      name: 'sandbox: ours tracing only',
      enter: mode({ config: { governance: false } }),
      call: generate,
      expect: oursTracing(`chat ${SANDBOX_MODEL}`),
    },
    {
      name: 'sandbox: ours governed, cached decision',
      enter: mode({ config: { client: agent } }),
      call: generate,
      expect: oursCached(`chat ${SANDBOX_MODEL}`),
    },
  ];
  try {
    const { live } = await probe(otel, scenarios, { prefix: PREFIX, sdk });
    await mode()();
    const results = await interleaved({
      scenarios: live.map(s => counted(otel, s, s.spans)),
      rounds: size.sandboxRounds,
      subRounds: size.subRounds,
      calls: size.sandboxCalls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    return live.map(s =>
      scenarioRow(PREFIX, s.name, results, scenarios[0].name, null, {
        sdk,
        spansPerCall: s.spans,
        pinned,
        transport:
          'loopback HTTP to the sandbox process (the provider default fetch; agent via undici)',
      }),
    );
  } finally {
    await mode()();
    await agent.close();
    await sandbox.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
