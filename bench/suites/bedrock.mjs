// Overhead on @aws-sdk/client-bedrock-runtime 3.x, CPU time per `client.send(command)`, next to
// the Bedrock instrumentations of Traceloop and OpenInference: `ConverseCommand`, and
// `InvokeModelCommand` with an Anthropic Messages body (the call includes parsing the answer's
// body, which an app does to read it). Scenarios per command: uninstrumented, the floor (one
// hand-written span), ours tracing only, ours governed with a cached decision (agent stub in
// another process), @traceloop/instrumentation-bedrock (defaults, traceContent off) and
// @arizeai/openinference-instrumentation-bedrock (defaults, inputs/outputs hidden).
//
// No network: the client gets a `requestHandler` whose `handle(request)` returns a canned
// `HttpResponse` (Converse JSON, or the Anthropic message as InvokeModel's body), built in process;
// static fake credentials, a fixed region and a loopback endpoint, so the SDK resolves, serialises
// and signs each request as it would for AWS, and nothing leaves the machine.
//
// Which copy of the SDK: the one in bench/peers, which OpenInference's package requires itself.
// Its `send` wrapper recognises commands with `instanceof` against the command classes of that
// copy, so a command of any other copy (such as the root devDependency, same version) passes
// through untraced; one probe shows it (OpenInference applied to the root copy by hand). Ours and
// Traceloop are constructed, then disabled, before that copy loads, so their require hooks record
// it; OpenInference's hook records it on the suite's `require`. A scenario enables exactly one.
// Targets: ours tracing only adds less CPU than every peer configuration (ours / cheapest < 1);
// governed cached ≤ 15 µs CPU above tracing only, with p75 ≤ 2 × p50.
process.env.AXONFLOW_TELEMETRY = 'off';

import { createRequire } from 'node:module';
import {
  belowPeersRow,
  floorOnly,
  floorRows,
  governedRow,
  none,
  oursCached,
  oursTracing,
  probe,
} from '../lib/compare.mjs';
import { DIST } from '../lib/dist.mjs';
import { setupOtel } from '../lib/otel.mjs';
import { activator, loadPeerRequire, peerDefinitions } from '../lib/peers.mjs';
import { pinSelf, startAgentStub } from '../lib/processes.mjs';
import { interleaved, pairedCpu } from '../lib/rounds.mjs';
import { rounded } from '../lib/stats.mjs';
import {
  anthropicUsage,
  counted,
  floorSpan,
  PROMPT,
  packageVersion,
  scenarioRow,
} from '../lib/workload.mjs';

const SDK_PKG = '@aws-sdk/client-bedrock-runtime';
const MODEL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const SPAN = `chat ${MODEL}`;
const OURS_APPLIED =
  'AxonFlowInstrumentation constructed before the SDK is required; its require hook wraps BedrockRuntimeClient.prototype.send, which adds a middleware at the initialize step once per client';

/** Rounds and calls per batch: CI-sized (quick) or the full run. */
const SIZES = {
  quick: { rounds: 2, subRounds: 6, calls: 8, warmupMs: 150 },
  full: { rounds: 6, subRounds: 25, calls: 15, warmupMs: 800 },
};

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const converseAnswer = encoder.encode(
  JSON.stringify({
    output: {
      message: { role: 'assistant', content: [{ text: 'The capital of France is Paris.' }] },
    },
    stopReason: 'end_turn',
    usage: { inputTokens: 14, outputTokens: 8, totalTokens: 22 },
    metrics: { latencyMs: 120 },
  }),
);

const invokeAnswer = encoder.encode(
  JSON.stringify({
    id: 'msg_bench',
    type: 'message',
    role: 'assistant',
    model: 'claude-3-5-haiku-20241022',
    content: [{ type: 'text', text: 'The capital of France is Paris.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 14, output_tokens: 8 },
  }),
);

/**
 * The client's `requestHandler`: the canned answer of the operation the request's path names
 * (`/model/{id}/converse` or `/model/{id}/invoke`), never the network. The bodies are encoded
 * once; each call builds only the `HttpResponse` around one.
 */
function cannedHandler(HttpResponse) {
  const converseHeaders = { 'content-type': 'application/json', 'x-amzn-requestid': 'req-bench' };
  const invokeHeaders = {
    ...converseHeaders,
    'x-amzn-bedrock-input-token-count': '14',
    'x-amzn-bedrock-output-token-count': '8',
  };
  return {
    async handle(request) {
      const invoke = request.path.endsWith('/invoke');
      return {
        response: new HttpResponse({
          statusCode: 200,
          headers: invoke ? invokeHeaders : converseHeaders,
          body: invoke ? invokeAnswer : converseAnswer,
        }),
      };
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
}

/** A client of SDK module `sdk` on the canned handler: fake credentials, loopback endpoint. */
function cannedClient(sdk, sdkRequire) {
  const { HttpResponse } = sdkRequire('@smithy/core/protocols');
  return new sdk.BedrockRuntimeClient({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'AKIDBENCHFAKE', secretAccessKey: 'bench-fake-secret' },
    requestHandler: cannedHandler(HttpResponse),
    maxAttempts: 1,
  });
}

/** The two workloads on one client: Converse, and InvokeModel with an Anthropic body. */
function workloads(sdk, client) {
  const converseInput = {
    modelId: MODEL,
    messages: [{ role: 'user', content: [{ text: PROMPT }] }],
    inferenceConfig: { maxTokens: 64 },
  };
  const invokeBody = JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 64,
    messages: [{ role: 'user', content: PROMPT }],
  });
  return [
    {
      prefix: 'bedrock.converse',
      what: 'ConverseCommand',
      call: () => client.send(new sdk.ConverseCommand(converseInput)),
      usage: r => [r.usage?.inputTokens, r.usage?.outputTokens],
      response: r => [r.$metadata?.requestId, MODEL],
    },
    {
      prefix: 'bedrock.invoke',
      what: 'InvokeModelCommand (Anthropic Messages body), answer body parsed',
      call: () =>
        client
          .send(
            new sdk.InvokeModelCommand({
              modelId: MODEL,
              contentType: 'application/json',
              accept: 'application/json',
              body: invokeBody,
            }),
          )
          .then(r => JSON.parse(decoder.decode(r.body))),
      usage: anthropicUsage,
      response: r => [r.id, r.model],
    },
  ];
}

export async function run({ quick = false } = {}) {
  const size = quick ? SIZES.quick : SIZES.full;
  const pinned = pinSelf();
  const peerRequire = loadPeerRequire();
  const otel = setupOtel();
  const { AxonFlowClient, AxonFlowInstrumentation } = await import(new URL('index.js', DIST).href);
  const rootRequire = createRequire(import.meta.url);

  // Ours and Traceloop before any copy of the SDK loads; the root copy (for the probe) next, then
  // OpenInference, whose package loads the bench/peers copy: the copy each hook records last.
  const ours = new AxonFlowInstrumentation({ governance: false });
  const peers = peerDefinitions(peerRequire).bedrock;
  const [traceloop, openinference] = [
    peers.filter(p => p.pkg.startsWith('@traceloop/')),
    peers.filter(p => p.pkg.startsWith('@arizeai/')),
  ];
  for (const p of traceloop) p.instance = p.make();
  for (const i of [ours, ...traceloop.map(p => p.instance)]) i.disable();
  const rootSdk = rootRequire(SDK_PKG);
  for (const p of openinference) p.instance = p.make();
  for (const p of peers) p.version = packageVersion(peerRequire, p.pkg);
  for (const i of [ours, ...peers.map(p => p.instance)]) {
    i.setTracerProvider(otel.provider);
    i.disable();
  }
  const sdk = peerRequire(SDK_PKG);
  const sdkRequire = createRequire(peerRequire.resolve(SDK_PKG));
  const version = packageVersion(peerRequire, SDK_PKG);
  const rootVersion = packageVersion(rootRequire, SDK_PKG);
  const sdkLabel = `${SDK_PKG} ${version}`;
  const copy = `bench/peers (the copy ${openinference[0].pkg} requires); the root devDependency is ${rootVersion}`;

  const activate = activator();
  const peerScenario = p => {
    let enableError;
    return {
      name: p.label,
      enter: () =>
        activate(p.instance)().then(
          () => {
            enableError = undefined;
          },
          err => {
            enableError = err;
          },
        ),
      scope: p.instance.instrumentationName,
      peer: p,
      failed: () => enableError,
    };
  };

  const stub = await startAgentStub();
  const agent = new AxonFlowClient({
    endpoint: stub.url,
    telemetry: false,
    cache: { ttlMs: 3_600_000 },
  });
  const rows = [];
  try {
    const client = cannedClient(sdk, sdkRequire);
    for (const w of workloads(sdk, client)) {
      const scenarios = [
        {
          name: 'uninstrumented',
          enter: activate(undefined),
          call: w.call,
          expect: none,
        },
        {
          name: 'floor (one hand-written span)',
          enter: activate(undefined),
          call: () =>
            floorSpan(
              otel.tracer,
              { provider: 'aws.bedrock', model: MODEL },
              w.call,
              w.usage,
              w.response,
            ),
          expect: floorOnly,
        },
        {
          name: 'ours: tracing only',
          enter: activate(ours, () => ours.setConfig({ governance: false })),
          call: w.call,
          expect: oursTracing(SPAN),
        },
        {
          name: 'ours: governed, cached decision',
          enter: activate(ours, () => ours.setConfig({ client: agent })),
          call: w.call,
          expect: oursCached(SPAN),
        },
        ...peers.map(p => {
          const s = peerScenario(p);
          return { ...s, call: () => (s.failed() ? Promise.reject(s.failed()) : w.call()) };
        }),
      ];
      const probed = await probe(otel, scenarios, { prefix: w.prefix, sdk: sdkLabel });
      await activate(undefined)();
      rows.push(...probed.rows);
      const results = await interleaved({
        scenarios: probed.live.map(s => counted(otel, s, s.spans)),
        rounds: size.rounds,
        subRounds: size.subRounds,
        calls: size.calls,
        warmupMs: size.warmupMs,
        settle: otel.flush,
      });
      await activate(undefined)();
      const tracing = 'ours: tracing only';
      const oursAdded = pairedCpu(results.get(tracing), results.get('uninstrumented'));
      for (const s of probed.live) {
        const row = scenarioRow(
          w.prefix,
          s.name,
          results,
          'uninstrumented',
          `${sdkLabel} ${w.what.split(' ')[0]}, in-process request handler`,
          {
            sdk: sdkLabel,
            sdkCopy: copy,
            command: w.what,
            spansPerCall: s.spans,
            pinned,
            transport: 'in-process requestHandler returning a canned HttpResponse',
            ...(s.peer
              ? {
                  version: s.peer.version,
                  contentCapture: s.peer.capture,
                  applied: 'its require hook (BedrockRuntimeClient.prototype.send wrapped)',
                  chartLabel: s.peer.short,
                }
              : {}),
            ...(s.name.startsWith('ours') ? { applied: OURS_APPLIED } : {}),
          },
        );
        if (row.details.addedCpuUs && s.name !== tracing) {
          row.details.addedVsOursTracingOnly = rounded(row.details.addedCpuUs.p50 / oursAdded.p50);
        }
        rows.push(row);
      }
      const livePeers = probed.live.filter(s => s.peer).map(s => s.name);
      rows.push(
        ...floorRows(w.prefix, results, {
          baseline: 'uninstrumented',
          floor: 'floor (one hand-written span)',
          tracing,
          judged: false,
        }),
        belowPeersRow(w.prefix, results, {
          baseline: 'uninstrumented',
          tracing,
          peers: livePeers,
          what: 'every peer configuration',
          judged: livePeers.length > 0,
          why: 'no peer patched',
        }),
        governedRow(w.prefix, results, { tracing, cached: 'ours: governed, cached decision' }),
      );
    }
    rows.push(
      await secondCopyProbe({ otel, rootSdk, rootRequire, rootVersion, peer: openinference[0] }),
    );
  } finally {
    await activate(undefined)();
    await agent.close();
    await stub.close();
    await otel.provider.shutdown();
  }
  return rows;
}

/**
 * OpenInference applied by hand (`manuallyInstrument`) to the root copy of the SDK, one Converse
 * call on a client of that copy: does it trace a copy other than the one it requires? Reported
 * (as "did not patch" when it produces no span of its own), never measured.
 */
async function secondCopyProbe({ otel, rootSdk, rootRequire, rootVersion, peer }) {
  const name = `bedrock.converse ${peer.label}, on a second copy of the SDK (root devDependency, manuallyInstrument): CPU per call`;
  const client = cannedClient(rootSdk, createRequire(rootRequire.resolve(SDK_PKG)));
  const call = () =>
    client.send(
      new rootSdk.ConverseCommand({
        modelId: MODEL,
        messages: [{ role: 'user', content: [{ text: PROMPT }] }],
      }),
    );
  let spans;
  let failure;
  peer.instance.manuallyInstrument(rootSdk);
  try {
    spans = await otel.capture(call);
  } catch (err) {
    failure = `the call failed: ${err?.message ?? err}`;
  } finally {
    peer.instance.unpatch(rootSdk);
  }
  const scope = peer.instance.instrumentationName;
  const own = spans?.filter(s => s.scope === scope).length ?? 0;
  return {
    name,
    unit: 'µs',
    value: null,
    target: null,
    pass: null,
    details:
      own > 0
        ? {
            status: 'patched (reported, not measured)',
            spans: own,
            sdk: `${SDK_PKG} ${rootVersion}`,
          }
        : {
            status: 'did not patch',
            reason:
              failure ??
              `no span from ${scope} for a command of another copy of ${SDK_PKG} (${rootVersion}, the same version): its send wrapper tests the command with instanceof against the classes of the copy it requires itself, and passes any other command through`,
            sdk: `${SDK_PKG} ${rootVersion}`,
            version: peer.version,
          },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run({ quick: process.argv.includes('--quick') });
  for (const row of rows) console.log(JSON.stringify(row));
}
