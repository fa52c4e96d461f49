// The @google/genai workload of the google-genai (3.x, the root devDependency) and
// google-genai-peers (1.x, from bench/peers) suites: `models.generateContent`, CPU time per call.
// One SDK line per process: the instrumentation base records one exports object per module name,
// so with both lines loaded only the one required last could be switched off and on.
//
// Sections:
// 1. In-process canned Gemini answer (no network): uninstrumented, the floor, ours tracing only,
//    ours governed with a cached decision (agent stub in another process), and Traceloop's
//    @google/genai instrumentation with its defaults and with `traceContent: false`. 3.x takes the
//    canned `fetch` as `httpOptions.fetch`; 1.x has no such option and calls the global `fetch`,
//    which is the canned one during this section (the agent client uses undici, not `fetch`).
// 2. Loopback to the sandbox's Gemini API route (model and agent in another process), the SDK's
//    own `fetch`: uninstrumented, ours tracing only, ours governed cached, Traceloop's defaults.
//
// How each is applied, as an app gets it: ours and Traceloop are constructed, then disabled,
// before the SDK is required, so their require hooks record it. Ours patches `Models.prototype`
// in place on `enable()`. Traceloop wraps the module's `GoogleGenAI` export, so a client built
// while it is applied has its `models.generateContent` wrapped for good: each Traceloop scenario
// gets a client of its own, built while the peer is applied, which is then removed again. Its hook
// only accepts @google/genai >=1.0.0 <2.0.0: on 3.x the hook is tried (and reported as not
// patching), then the peer's public `manuallyInstrument(module)`, which skips that range check, is
// measured, labelled as outside the peer's declared range.
import { createRequire } from 'node:module';
import { GEMINI_MODEL, geminiFetch } from './canned.mjs';
import {
  belowPeersRow,
  floorOnly,
  floorRows,
  governedRow,
  loadPeerRequire,
  none,
  oursCached,
  oursTracing,
  probe,
} from './compare.mjs';
import { DIST } from './dist.mjs';
import { setupOtel } from './otel.mjs';
import { pinSelf, startAgentStub, startSandboxProcess } from './processes.mjs';
import { interleaved, pairedCpu } from './rounds.mjs';
import { rounded } from './stats.mjs';
import {
  counted,
  floorSpan,
  geminiResponse,
  geminiUsage,
  PROMPT,
  packageVersion,
  scenarioRow,
} from './workload.mjs';

const PEER_PKG = '@traceloop/instrumentation-google-generativeai';
const PEER_SCOPE = PEER_PKG;
const PEER_RANGE = '>=1.0.0 <2.0.0';
const SPAN = `generate_content ${GEMINI_MODEL}`;
const OURS_APPLIED =
  'AxonFlowInstrumentation constructed before require("@google/genai"); its require hook wraps Models.prototype generateContentInternal (and the stream and embed methods)';

/** Rounds and calls per batch: CI-sized (quick) or the full run. */
const SIZES = {
  quick: { rounds: 2, subRounds: 6, calls: 8, warmupMs: 150, sandboxRounds: 2, sandboxCalls: 3 },
  full: { rounds: 6, subRounds: 25, calls: 15, warmupMs: 800, sandboxRounds: 4, sandboxCalls: 5 },
};

/**
 * @param {object} options
 * @param {3 | 1} options.line the SDK line: 3 (root devDependency) or 1 (bench/peers)
 * @param {string} options.prefix row name prefix
 * @param {boolean} options.quick
 */
export async function runGoogleGenAi({ line, prefix, quick }) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire(PEER_PKG);
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);

  const ours = new AxonFlowInstrumentation({ governance: false });
  const { GenAIInstrumentation } = peerRequire(PEER_PKG);
  const peerVersion = packageVersion(peerRequire, PEER_PKG);
  const peers = [
    {
      label: `${PEER_PKG} (defaults)`,
      short: 'traceloop (defaults)',
      capture: 'on (traceContent defaults to true)',
      instance: new GenAIInstrumentation({}),
    },
    {
      label: `${PEER_PKG} (traceContent off)`,
      short: 'traceloop (traceContent off)',
      capture: 'off',
      instance: new GenAIInstrumentation({ traceContent: false }),
    },
  ];
  for (const i of [ours, ...peers.map(p => p.instance)]) {
    i.setTracerProvider(otel.provider);
    i.disable();
  }
  const sdkRequire = line === 3 ? createRequire(import.meta.url) : peerRequire;
  const genai = sdkRequire('@google/genai');
  const version = packageVersion(sdkRequire, '@google/genai');
  const sdk = `@google/genai ${version}`;
  // Kept before any peer wraps the export: the clients of the other scenarios are built from it.
  const GoogleGenAI = genai.GoogleGenAI;
  // Whether the peer's hook accepts this line (PEER_RANGE: >=1.0.0 <2.0.0).
  const inRange = /^1\./.test(version);

  const realFetch = globalThis.fetch;
  const canned = geminiFetch();
  const inProcessOptions = {
    apiKey: 'bench',
    httpOptions: { baseUrl: 'http://127.0.0.1:9', ...(line === 3 ? { fetch: canned } : {}) },
  };
  if (line === 1) globalThis.fetch = canned;

  /**
   * A client built while the peer is applied: through its hook (`enable()` wraps the recorded
   * module's export), or, outside its range, with `manuallyInstrument`. Either way the export is
   * restored afterwards; the client keeps its wrapped methods.
   */
  const peerClient = (peer, options, manual) => {
    if (manual) peer.instance.manuallyInstrument(genai);
    else peer.instance.enable();
    try {
      return new genai.GoogleGenAI(options);
    } finally {
      if (manual) peer.instance.unwrap(genai);
      else peer.instance.disable();
    }
  };
  const oursMode = config => () => {
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
  const generate = client =>
    client.models.generateContent({ model: GEMINI_MODEL, contents: PROMPT });
  const rows = [];
  try {
    const client = new GoogleGenAI(inProcessOptions);
    const scenarios = [
      { name: 'uninstrumented', enter: oursMode(), call: () => generate(client), expect: none },
      {
        name: 'floor (one hand-written span)',
        enter: oursMode(),
        call: () =>
          floorSpan(
            otel.tracer,
            { provider: 'gcp.gemini', model: GEMINI_MODEL, operation: 'generate_content' },
            () => generate(client),
            geminiUsage,
            geminiResponse,
          ),
        expect: floorOnly,
      },
      {
        name: 'ours: tracing only',
        enter: oursMode({ governance: false }),
        call: () => generate(client),
        expect: oursTracing(SPAN),
      },
      {
        name: 'ours: governed, cached decision',
        enter: oursMode({ client: agent }),
        call: () => generate(client),
        expect: oursCached(SPAN),
      },
    ];
    if (!inRange) {
      // What an app that registers the peer gets on this line: its hook skips the module.
      const hooked = peerClient(peers[0], inProcessOptions, false);
      scenarios.push({
        name: `${peers[0].label}, through its require hook`,
        enter: oursMode(),
        call: () => generate(hooked),
        scope: PEER_SCOPE,
        peer: { ...peers[0], version: peerVersion, hookOnly: true },
      });
    }
    for (const peer of peers) {
      const peerOwn = peerClient(peer, inProcessOptions, !inRange);
      scenarios.push({
        name: inRange ? peer.label : `${peer.label}, manuallyInstrument (outside ${PEER_RANGE})`,
        short: inRange ? peer.short : `${peer.short}, manual`,
        enter: oursMode(),
        call: () => generate(peerOwn),
        scope: PEER_SCOPE,
        peer: { ...peer, version: peerVersion },
      });
    }
    const probed = await probe(otel, scenarios, { prefix, sdk });
    for (const row of probed.rows) {
      const s = scenarios.find(x => row.name === `${prefix} ${x.name}: CPU per call`);
      if (s?.peer?.hookOnly) {
        row.details.reason = `its require hook accepts @google/genai ${PEER_RANGE} and ${version} is loaded: ${row.details.reason}`;
      }
      rows.push(row);
    }
    const results = await interleaved({
      scenarios: probed.live.map(s => counted(otel, s, s.spans)),
      rounds: size.rounds,
      subRounds: size.subRounds,
      calls: size.calls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    const transport =
      line === 3
        ? 'in-process canned answer (httpOptions.fetch)'
        : 'in-process canned answer (the global fetch: 1.x has no fetch option)';
    const tracing = 'ours: tracing only';
    const livePeers = probed.live.filter(s => s.peer);
    const oursAdded = pairedCpu(results.get(tracing), results.get('uninstrumented'));
    for (const s of probed.live) {
      const row = scenarioRow(
        prefix,
        s.name,
        results,
        'uninstrumented',
        `${sdk}, in-process fetch`,
        {
          sdk,
          spansPerCall: s.spans,
          pinned,
          transport,
          ...(s.peer
            ? {
                version: s.peer.version,
                contentCapture: s.peer.capture,
                applied:
                  inRange || s.peer.hookOnly
                    ? 'its require hook (GoogleGenAI export wrapped); the client built while it was enabled'
                    : 'manuallyInstrument(module), outside the range its hook accepts; the client built while it was applied',
              }
            : {}),
          ...(s.name.startsWith('ours') ? { applied: OURS_APPLIED } : {}),
          ...(s.short ? { chartLabel: s.short } : {}),
        },
      );
      if (row.details.addedCpuUs && s.name !== tracing) {
        row.details.addedVsOursTracingOnly = rounded(row.details.addedCpuUs.p50 / oursAdded.p50);
      }
      rows.push(row);
    }
    rows.push(
      ...floorRows(prefix, results, {
        baseline: 'uninstrumented',
        floor: 'floor (one hand-written span)',
        tracing,
        // Judged where no peer patches through its hook: the floor is then the only reference.
        judged: !inRange,
      }),
      belowPeersRow(prefix, results, {
        baseline: 'uninstrumented',
        tracing,
        peers: livePeers.map(s => s.name),
        what: `every ${PEER_PKG} configuration`,
        judged: inRange,
        why: `on ${version} the peer is applied outside its declared range`,
      }),
      governedRow(prefix, results, {
        tracing,
        cached: 'ours: governed, cached decision',
        judged: !inRange,
      }),
    );

    globalThis.fetch = realFetch;
    rows.push(
      ...(await sandboxRun({
        size,
        otel,
        prefix,
        sdk,
        pinned,
        GoogleGenAI,
        generate,
        oursMode,
        AxonFlowClient,
        peerClient: options => peerClient(peers[0], options, !inRange),
        peerLabel: inRange ? peers[0].short : `${peers[0].short}, manual`,
      })),
    );
  } finally {
    globalThis.fetch = realFetch;
    ours.disable();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

/** The same call over loopback HTTP to the sandbox's Gemini API route. */
async function sandboxRun(options) {
  const { size, otel, prefix, sdk, pinned, GoogleGenAI, generate, oursMode, AxonFlowClient } =
    options;
  const sandbox = await startSandboxProcess();
  const agent = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const clientOptions = { apiKey: 'sandbox', httpOptions: { baseUrl: sandbox.url } };
  const client = new GoogleGenAI(clientOptions);
  const peerOwn = options.peerClient(clientOptions);
  const scenarios = [
    {
      name: 'sandbox: uninstrumented',
      enter: oursMode(),
      call: () => generate(client),
      expect: none,
    },
    {
      name: 'sandbox: ours tracing only',
      enter: oursMode({ governance: false }),
      call: () => generate(client),
      expect: oursTracing(SPAN),
    },
    {
      name: 'sandbox: ours governed, cached decision',
      enter: oursMode({ client: agent }),
      call: () => generate(client),
      expect: oursCached(SPAN),
    },
    {
      name: `sandbox: ${options.peerLabel}`,
      enter: oursMode(),
      call: () => generate(peerOwn),
      scope: PEER_SCOPE,
      peer: {},
    },
  ];
  try {
    const probed = await probe(otel, scenarios, { prefix, sdk });
    const results = await interleaved({
      scenarios: probed.live.map(s => counted(otel, s, s.spans)),
      rounds: size.sandboxRounds,
      subRounds: size.subRounds,
      calls: size.sandboxCalls,
      warmupMs: size.warmupMs,
      settle: otel.flush,
    });
    return [
      ...probed.rows,
      ...probed.live.map(s =>
        scenarioRow(prefix, s.name, results, scenarios[0].name, null, {
          sdk,
          spansPerCall: s.spans,
          pinned,
          transport:
            'loopback HTTP to the sandbox process (the SDK default fetch; agent via undici)',
        }),
      ),
    ];
  } finally {
    oursMode()();
    await agent.close();
    await sandbox.close();
  }
}
