// The prose of REPORT.md: how the numbers were taken (METHOD), and notes that read the run's own
// results (every number in them comes from results.json; sentences depend on pass/miss).
import { fmt } from './report.mjs';

export const METHOD = [
  '- **Suites in child processes.** `bench/run.mjs` runs each `bench/suites/*.mjs` in a Node process',
  '  of its own (`--expose-gc`), one after the other. Each suite installs global OpenTelemetry state',
  '  (tracer provider, context manager), require hooks of several instrumentations, and JIT feedback',
  "  of its own; separate processes keep one suite from shaping the next one's numbers and give",
  '  each heap measurement a clean start. All suites load the same snapshot of `dist/` taken when',
  '  the run starts (`bench/.run/dist`), so a rebuild during the run cannot mix two builds.',
  '- **Helpers out of process, pinned.** The agent stub (`bench/lib/agent-stub.mjs`, a `node:http`',
  '  server that approves every pre-check) and the sandbox run in their own processes, so their work',
  '  is not in the measured event loop or CPU time. With 2+ CPUs the measured process is pinned to',
  '  CPU 0 and helpers to CPU 1 (`taskset`). Loopback only; `AXONFLOW_TELEMETRY=off`.',
  '- **No provider network.** The SDKs get an in-process `fetch` (the SDK option) that returns a',
  '  canned chat completion / Anthropic message / Gemini `generateContent` answer, or an SSE stream',
  '  of exactly N chunks. @google/genai 1.x has no `fetch` option: its suite makes the canned one',
  "  the process's global `fetch` for that section (the agent client uses undici, not `fetch`). One",
  '  loopback run per suite against the sandbox (SDK default fetch, agent over undici) shows the',
  '  realistic case; its rows are reported, not judged.',
  '- **Interleaved short batches, CPU time.** On this kind of shared machine the CPU time of the',
  '  same work jumps 2–10× for stretches of milliseconds to seconds. So each scenario runs many',
  '  short batches (2–20 calls, a few ms), alternated: a sub-round runs one batch of every',
  '  scenario, the order rotating (A B C, B C A, C A B, …); a round is 25–30 sub-rounds. A batch',
  '  records process CPU time (`process.cpuUsage()`, all threads, user + system), wall time per',
  '  call, and the latency of every call. "CPU per call" is the median over batches with p25–p75;',
  '  "added CPU" is the median of per-sub-round paired differences against the table\'s baseline',
  '  (neighbouring batches see the same machine conditions). The mean of each round, every call',
  '  and burst included, is in results.json (`cpuMeanUs`, `addedCpuMeanUs`). Each batch checks',
  '  that its scenario produced the expected spans, so none can silently lose its instrumentation.',
  '- **GC.** Between rounds: a full `gc()`, an untimed re-warm of every scenario and 100 ms idle.',
  '  A forced full GC deoptimizes dozens of hot SDK functions (`--trace-deopt`: "marked for',
  '  deoptimization, reason: weak objects") and leaves concurrent sweeping behind; a batch timed',
  '  right after one measured the re-compilation, 2–4× the steady cost. No GC between batches: a',
  '  scavenge is triggered by allocation, so it lands on the scenarios that allocate, in proportion.',
  '- **Same OpenTelemetry setup everywhere:** AsyncLocalStorage context manager, one',
  '  `TracerProvider` with a `BatchSpanProcessor` in front of a no-op exporter. No MeterProvider is',
  "  registered, so metric recording is the API's no-op in every scenario.",
  '- **The floor** is one hand-written CLIENT span around the same call: named `chat {model}`, the',
  '  three request attributes at start, made current with `context.with`, response id/model and',
  '  token counts set before `end()` (`bench/lib/workload.mjs`).',
  '- **Tracing only vs the floor, two readings.** Strict (the one judged): (ours − uninstrumented) ≤',
  '  1.25 × (floor − uninstrumented), on added CPU µs per call. Lenient (reported, not judged):',
  '  ours / floor on total CPU per call.',
  '- **Per-chunk stream cost** = ((S(N)ours − S(N)plain) − (S(1)ours − S(1)plain)) / (N − 1), CPU',
  '  per call, computed per sub-round, N = 200, content capture off.',
  '- **Client suite.** Cached `preCheck` and breaker open: batches of 2,000 sequential awaited',
  '  calls timed with `process.hrtime`; the value is the median of batch means (wall), with CPU,',
  '  individually timed calls (p50/p99) and a mitata cross-check in results.json. Uncached: a',
  '  unique prompt per call, interleaved with a raw undici `Pool.request` of the same JSON body and',
  '  headers to the same stub, and with three raw variants that each add one thing our transport',
  '  does; the overhead is judged on the per-call latency p50 of all calls of each. A hung agent',
  '  (the stub accepts and never answers) must fail each call open at the 200 ms deadline until',
  '  the breaker opens after 2 failures.',
  '- **Peers** are installed from the npm registry in `bench/peers` (own package.json and lock).',
  '  Every instrumentation is constructed, then disabled, before the SDKs are required, so each',
  '  require hook records the SDK without patching it; a scenario enables exactly one. A peer counts',
  '  only if calls made while it is enabled produce spans of its own scope; otherwise it is reported',
  '  as "did not patch". Peers run with their defaults and, where they have one, with content',
  '  capture off. Heap: `heapUsed` after a full GC (spans flushed) before and after two',
  '  consecutive runs of 10,000 calls, after 500 warm-up calls; the table shows the second run (the',
  '  first still holds one-time growth, 0.5–0.9 MiB, kept in results.json). Resolution is about',
  '  ±100 KiB per 10,000 calls.',
  '- **The Vercel AI SDK** (`ai-sdk` suite): `generateText` of `ai` 7 with `@ai-sdk/openai` 4 (the',
  "  root devDependencies), on the provider's chat model (`provider.chat(id)`, the chat-completions",
  '  route the canned fetch answers). Ours is applied as an app gets it: `AxonFlowInstrumentation`',
  '  constructed, and enabled, before `ai` is required. ai 7 is an ES module, so `require` hands out',
  '  its namespace, which cannot be patched in place: the require hook gives the app a patched copy,',
  '  and only a hook enabled at that moment does; `disable()` / `enable()` then unwrap and rewrap',
  "  the copy's functions. The AI SDK's own telemetry is `@ai-sdk/otel`'s `OpenTelemetry`",
  '  integration (installed in bench/peers, same `ai` version) added with `registerTelemetry`, with',
  '  its defaults and with `recordInputs` / `recordOutputs` off; ai 7 has no way to remove an',
  '  integration, so its scenarios add it to and take it out of the global list `registerTelemetry`',
  "  fills. It counts as this family's peer.",
  '- **@google/genai** (`google-genai` suite: 3.x, the root devDependency; `google-genai-peers`',
  '  suite: 1.x, installed in bench/peers): `models.generateContent`. One SDK line per process: the',
  '  instrumentation base records one exports object per module name, so with both lines loaded',
  "  only the last one required could be switched off and on. The peer is Traceloop's",
  '  `@traceloop/instrumentation-google-generativeai`; the npm registry has no',
  '  `@arizeai/openinference-instrumentation-google-genai` nor',
  '  `@opentelemetry/instrumentation-google-genai`. It wraps the `GoogleGenAI` export, so a client',
  '  built while it is applied keeps its wrapped `models.generateContent`: each peer scenario has',
  '  a client of its own, built while the peer is applied. Its hook accepts `>=1.0.0 <2.0.0`: on',
  '  3.x the hook is tried and reported as not patching, then the peer applied by hand with its',
  '  public `manuallyInstrument(module)` (which skips the range check) is measured and reported,',
  '  not judged. Every scenario of these suites is run twice before the rounds and its spans',
  '  checked (ours: span count, `axonflow.decision`, the cache hit; a peer: spans of its own scope).',
  '- **Targets of the client-family suites**, in the spirit of the openai 7 ones: ours tracing only',
  '  adds less CPU than every peer in each configuration (AI SDK: its own telemetry; @google/genai',
  "  1.x: Traceloop), as the ratio of added CPU over the cheapest peer's, judged < 1; on 3.x, where",
  '  no peer patches through its hook, tracing only vs the floor (strict reading, ≤ 1.25); governed',
  '  with a cached decision ≤ 15 µs above tracing only with p75 ≤ 2 × p50 (AI SDK and 3.x), the bound openai 7 has.',
  '- **Bedrock** (`bench/suites/bedrock.mjs`): the client gets a `requestHandler` whose',
  '  `handle(request)` returns a canned `HttpResponse` built in process (Converse JSON, or the',
  "  Anthropic message as InvokeModel's body), with static fake credentials, a fixed region and a",
  '  loopback endpoint, so every request is resolved, serialised and signed and none leaves the',
  '  machine. Targets there: ours tracing only adds less CPU than every Traceloop and OpenInference',
  '  configuration (< 1); governed cached ≤ 15 µs above tracing only, with p75 ≤ 2 × p50.',
  '- **Profiles.** After the suites, `bench/profile.mjs` runs six hot paths in a loop under the V8',
  '  sampling profiler (started after a warm-up); the tables below come from those profiles.',
  '- **Quick mode** (`--quick`) runs far fewer rounds (CI-sized, no heap, no profiles) and writes',
  '  to a temporary directory; the files in `bench/` come from a full run.',
];

function rowsOf(results) {
  return results.suites.flatMap(s => s.rows);
}

function findRow(results, prefix) {
  return rowsOf(results).find(r => r.name.startsWith(prefix));
}

function profileOf(results, scenario) {
  return results.profiles?.find(p => p.scenario === scenario && !p.error);
}

/** Sum of self-time shares of the listed frames whose name contains any of `parts`. */
function share(p, parts) {
  if (!p) return undefined;
  return p.bySelfTime
    .filter(f => parts.some(part => f.name.includes(part)))
    .reduce((sum, f) => sum + f.pct, 0);
}

const met = row => (row.pass ? 'met' : 'missed');

/** µs per call of our functions whose name starts with any of `prefixes`, side-by-side profile. */
function oursIn(results, scenario, prefixes) {
  const s = results.profileCompare?.scenarios?.find(x => x.scenario === scenario);
  if (!s) return undefined;
  return s.ours
    .filter(f => prefixes.some(p => f.name.startsWith(p)))
    .reduce((sum, f) => sum + f.usPerCall, 0);
}

export function notes(results) {
  const lines = [];
  const loads = results.suites.flatMap(s => [s.loadAvg.before, s.loadAvg.after]);
  lines.push(
    `- **Noise.** The 1-minute load average went from ${fmt(Math.min(...loads), 2)} to ${fmt(
      Math.max(...loads),
      2,
    )} on ${results.machine.cores} CPUs during the suites: other processes shared the machine.`,
    '  CPU time per call still grows under contention (shared caches and cores), so absolute values',
    '  are higher than on an idle machine and spreads are wide; compare scenarios within one table',
    '  (same run, paired batches), not with other machines.',
  );

  const strict = findRow(results, 'instrumentation.openai7 tracing only vs floor, added CPU');
  const lenient = findRow(results, 'instrumentation.openai7 tracing only vs floor, total CPU');
  if (strict?.details?.oursAddedCpuUs && lenient) {
    lines.push(
      `- **Tracing only vs the floor** (judged on the strict reading): ours adds ${fmt(
        strict.details.oursAddedCpuUs.p50,
      )} µs CPU per call, the floor ${fmt(strict.details.floorAddedCpuUs.p50)} µs: ratio ${fmt(
        strict.value,
      )}, target ≤ 1.25, ${met(strict)}. The lenient reading (total CPU, ours / floor) is ${fmt(
        lenient.value,
      )}. Ours does more than the floor by design: the GenAI request attributes (model, max tokens,`,
      '  temperature, …), server address and port, finish reasons and usage, the decision attribute',
      '  (and the duration and token metrics, when a MeterProvider records them; none does here),',
      "  and the response observed through the SDK's `APIPromise`",
      '  (its `parseResponse` wrapped) without consuming it.',
    );
  }

  const governed = findRow(results, 'instrumentation.openai7 governed (cached decision) above');
  const floorRow = findRow(results, 'instrumentation.openai7 floor');
  const hit = findRow(results, 'client.preCheck cached decision');
  if (governed && hit) {
    lines.push(
      `- **Governed with a cached decision** costs ${fmt(governed.value)} µs CPU per call above tracing only (target ≤ 15 with p75 ≤ 2 × p50, ${met(
        governed,
      )}). The cached \`preCheck\` alone takes ${fmt(hit.details.cpuUs.p50)} µs of CPU (client suite); inside an instrumented call it costs more (see the cache-key note). The rest: two more spans (\`axonflow.pre_check\`, \`axonflow.delegate\`, the product's steps) with their attributes, started, ended and queued by the \`BatchSpanProcessor\`; the gate's body snapshot (\`snapshotBody\`: \`JSON.stringify\` + \`JSON.parse\` of the body, so that what is checked is what is sent); building the pre-check request (\`adapter.input\` + \`renderPrompt\`, the context object) and its cache key; recording the decision on both spans. No MeterProvider and no audit processor are registered in these scenarios, so no metric point and no audit record is built (the audit suite measures a record's cost). The side-by-side profile below splits the rest by owner.${
        floorRow?.details?.addedCpuUs
          ? ` The p75 ≤ 2 × p50 half of the target reads the spread of paired per-sub-round differences, and on this machine any two scenarios spread that widely: the floor (one span) above uninstrumented, in the same rounds, has a median of ${fmt(floorRow.details.addedCpuUs.p50)} µs and p25–p75 ${fmt(floorRow.details.addedCpuUs.p25)} – ${fmt(floorRow.details.addedCpuUs.p75)} µs; so that check does not tell a slow path of ours from the machine's noise.`
          : ''
      }`,
    );
  }

  const pc = profileOf(results, 'precheck-cached');
  const row = name => findRow(results, `client.breakdown ${name}`);
  const key = row('cacheKey(7 parts)');
  const keyAlt = row('cacheKey alternative');
  const sj = row('stableJson(context');
  const sjAlt = row('stableJson alternative');
  const topOurs = (p, n) =>
    p.oursBySelfTime
      .slice(0, n)
      .map(f => `${f.name} ${fmt(f.pct, 1)} %`)
      .join(', ');
  if (key && sj) {
    const hashShare = share(pc, [
      'Hash (node:internal/crypto',
      'update (node:internal/crypto',
      'digest (node:internal/crypto',
      'update (:0)',
      'digest (:0)',
      'Hash (:0)',
    ]);
    const inCall = oursIn(results, 'cached', [
      'stableJson',
      'flatStableJson',
      '(anonymous) (src/client/cache.ts)',
      'cacheKey',
    ]);
    lines.push(
      `- **The decision-cache key** (\`cacheKey\`, \`stableJson\` in \`src/client/cache.ts\`; every pre-check computes it, hit or miss). Measured with mitata: \`cacheKey\` over 7 parts ${fmt(
        key.value,
        0,
      )} ns, against ${fmt(keyAlt?.value, 0)} ns for one \`crypto.hash('sha256', …, 'base64url')\` over the same length-prefixed input (same key; checked in the bench${
        keyAlt && key.value > 1.5 * keyAlt.value
          ? '; the one-shot call needs no `Hash` object, which `createHash` builds per key'
          : ''
      }); \`stableJson\` of the 3-key pre-check context ${fmt(
        sj.value,
        0,
      )} ns, against ${fmt(sjAlt?.value, 0)} ns for \`JSON.stringify\` with the sorted key list (same output for a flat object). A cached pre-check takes ${fmt(
        hit?.value,
      )} µs in all.${
        pc
          ? ` In the \`precheck-cached\` profile SHA-256 native frames have ${fmt(hashShare, 1)} % of self time; our top frames: ${topOurs(pc, 4)}.`
          : ''
      }${
        inCall
          ? ` Inside an instrumented call the key functions take ${fmt(inCall)} µs per governed call (side-by-side profile), the SHA-256 native frames on top.`
          : ''
      }`,
    );
  }

  const pb = profileOf(results, 'precheck-breaker');
  const open = findRow(results, 'client.preCheck with the breaker open');
  if (open) {
    const errorShare = share(pb, ['AxonFlowError (src/client/errors.ts)']) ?? 0;
    lines.push(
      `- **Breaker open**: ${fmt(open.value)} µs per refused pre-check (target ≤ 10, ${met(open)}).${
        pb
          ? ` \`precheck-breaker\` profile, our top frames: ${topOurs(pb, 4)}; the \`AxonFlowError\` constructor (an Error's stack capture) has ${fmt(errorShare, 1)} % of self time${
              errorShare > 10
                ? ': building an error per refused call is the main cost; a constant fail-open result needs none'
                : ''
            }.`
          : ''
      }`,
    );
  }

  const unc = findRow(results, 'client.preCheck uncached: overhead');
  if (unc) {
    const variant = name =>
      findRow(results, `client.uncached raw + ${name}`)?.details?.addedCpuUs?.p50;
    const pu = profileOf(results, 'precheck-uncached');
    lines.push(
      `- **Uncached pre-check vs the raw round trip**: latency p50 ${fmt(
        unc.details.oursLatencyUs.p50,
      )} µs against ${fmt(unc.details.rawLatencyUs.p50)} µs, +${fmt(unc.value, 1)} % (target ≤ 20, ${met(
        unc,
      )}); ${fmt(unc.details.addedCpuUsPerCall.p50)} µs more CPU per call. Raw variants measured in the same rounds attribute part of it: \`AbortSignal.timeout(1000)\` per request ${fmt(
        variant('AbortSignal'),
      )} µs, \`PreCheckResponseSchema.safeParse\` (zod) ${fmt(variant('zod'))} µs, reading the body with \`for await\` + secure-json-parse ${fmt(
        variant('body read'),
      )} µs. Ours has none of these three costs in that form: the transport dispatches on the pool with a reply handler of its own (no body stream, no abort listener), one deadline object per call holds one timer, and the reply is validated by the same zod schema. What is left is the client path around the request: the cache key, \`coalesce\`, the breaker, three async layers, mapping and freezing the result, the LRU set${
        pu ? `; in the \`precheck-uncached\` profile our top frames are ${topOurs(pu, 5)}` : ''
      }.`,
    );
  }

  const chunk = findRow(results, 'instrumentation.openai7 stream per-chunk');
  if (chunk) {
    lines.push(
      `- **Streams**: ${fmt(chunk.value)} µs CPU per chunk (target ≤ 2, ${met(chunk)}); per-sub-round values spread widely (p25–p75 ${fmt(
        chunk.details.spread.p25,
      )} – ${fmt(chunk.details.spread.p75)} µs) because each is a small difference of large numbers. Per chunk the wrapper adds one \`.then\` on the inner \`next()\` and \`onChunk\` (\`wrapStream\` in \`src/instrumentation/stainless/observe.ts\`, \`GovernedCall.chunk\`, \`openaiChat.onChunk\`).`,
    );
  }

  const sc = results.profileCompare?.scenarios;
  if (sc?.length) {
    const by = name => sc.find(s => s.scenario === name);
    const get = (s, owner) => s?.byOwner.find(o => o.name === owner)?.usPerCall ?? 0;
    // GC samples land on whichever batch happens to trigger a collection: too noisy per owner.
    const diff = (a, b) => {
      const owners = [...new Set([...a.byOwner, ...b.byOwner].map(o => o.name))].filter(
        o => !o.includes('garbage collector'),
      );
      return owners
        .map(o => [o, get(a, o) - get(b, o)])
        .sort((x, y) => y[1] - x[1])
        .slice(0, 5)
        .map(([o, d]) => `${o} ${fmt(d)}`)
        .join(', ');
    };
    const plain = by('uninstrumented');
    const tracing = by('tracing');
    const cached = by('cached');
    if (plain && tracing) {
      lines.push(
        `- **Where tracing-only time goes** (side-by-side profile, µs per call above uninstrumented, GC left out as too noisy to attribute per batch): ${diff(
          tracing,
          plain,
        )}. Our own functions: ${tracing.ours
          .slice(0, 5)
          .map(f => `${f.name} ${fmt(f.usPerCall)}`)
          .join(
            ', ',
          )}. Besides the span itself, per call: the request's record rides from \`request()\` to \`prepareOptions\` on a copy of the options (one \`.then\` on the SDK's options promise), \`observe()\` adds a \`.then\` on \`responsePromise\` and one on \`parseResponse\`'s promise, \`commonAttributes\` builds the request attributes through a closure per attribute, and \`end\` builds the response attributes. Each promise is also an async-hooks resource under the \`AsyncLocalStorage\` context manager (Node 22), which is where much of the "node internals" share goes.`,
      );
    }
    if (tracing && cached) {
      lines.push(
        `- **Where the cached-decision gate's time goes** (same profile, µs per call above tracing only, GC left out): ${diff(
          cached,
          tracing,
        )}. Our top functions there: ${cached.ours
          .slice(0, 6)
          .map(f => `${f.name} ${fmt(f.usPerCall)}`)
          .join(', ')}.`,
      );
    }
  }

  const vsPeers = rowsOf(results).filter(
    r => /^peers(-anthropic1)?\.\w+ tracing only vs every peer/.test(r.name) && r.value !== null,
  );
  if (vsPeers.length) {
    lines.push(
      `- **Tracing only against the peers** (ours / cheapest peer configuration, added CPU): ${vsPeers
        .map(r => `${r.name.split(' ')[0]} ${fmt(r.value)} (cheapest: ${r.details.cheapest})`)
        .join(
          ', ',
        )}. Ours is hooked one layer lower than the peers: on the client's \`request()\` and \`prepareOptions()\`, so that every method that sends model input (raw \`post()\`, helpers, retries) passes the gate before each HTTP attempt, and the result is observed through the SDK's \`APIPromise\` without consuming it; the peers wrap each resource method (\`chat.completions.create\`, \`messages.create\`) and read the awaited result. The request layer costs the promise hops named in the tracing-only note above, each an async-hooks resource under the context manager, and the span carries more of the conventions (server address and port, every request parameter, finish reasons, response id and model, usage).`,
    );
  }
  lines.push(...familyNotes(results));
  lines.push(...startupNotes(results));
  lines.push(...anthropic1BedrockNotes(results));

  const notPatched = rowsOf(results).filter(r => r.details?.status === 'did not patch');
  lines.push(
    notPatched.length
      ? `- **Peers that did not patch**: ${notPatched
          .map(r => `${r.name.replace(': CPU per call', '')} (${r.details.reason})`)
          .join('; ')}.`
      : '- **Peers**: every listed peer produced spans of its own on the SDK version it was measured on.',
    '- **@anthropic-ai/sdk 0.x traces itself** when a global tracer provider is registered (its',
    '  `openTelemetry` option, on by default), so every Anthropic scenario, "uninstrumented"',
    "  included, has the SDK's own span. Ours then adds no delegation span (the SDK's span is the",
    '  delegation), so our Anthropic rows have one span fewer than our OpenAI rows.',
    '- **Content capture** differs by default: ours and contrib are off; traceloop (`traceContent`)',
    '  and OpenInference (`hide*`) are on. Both settings are measured for those two.',
    '- **The audit suite** (`bench/suites/audit.mjs`) runs in its own process like the others but',
    '  unpinned, with the sandbox and the slow agent in processes of their own.',
  );
  return lines;
}

/** Added CPU µs (p50) of the row whose name starts with `prefix`, or undefined. */
function added(results, prefix) {
  return findRow(results, prefix)?.details?.addedCpuUs?.p50;
}

/** The AI SDK and @google/genai notes: every number from this run's rows. */
function familyNotes(results) {
  const lines = [];
  const below = findRow(results, "ai-sdk.ai7 tracing only vs the AI SDK's own telemetry");
  const aiGoverned = findRow(results, 'ai-sdk.ai7 governed (cached decision)');
  if (below?.details?.oursAddedCpuUs) {
    const sdk = findRow(results, 'ai-sdk.ai7 uninstrumented')?.details?.sdk ?? 'ai 7';
    const own = rowsOf(results).find(
      r => r.name.startsWith('ai-sdk.ai7 AI SDK telemetry') && r.details?.spansPerCall,
    );
    const peers = below.details.peers.map(p => ({
      label: p.name.replace(/^AI SDK telemetry: @ai-sdk\/otel \S+ \((.*)\)$/, '$1'),
      added: p.addedCpuUs.p50,
    }));
    const [defaults, unrecorded] = [peers.find(p => p.label === 'defaults'), peers[1]];
    lines.push(
      `- **The Vercel AI SDK** (${sdk}, \`generateText\`, canned fetch): ours tracing only adds ${fmt(
        below.details.oursAddedCpuUs.p50,
      )} µs CPU per call; the AI SDK's own telemetry (\`@ai-sdk/otel\` ${own?.details?.version ?? ''}) adds ${
        peers.map(p => `${fmt(p.added)} µs (${p.label})`).join(' and ') ||
        'nothing measured (it did not trace)'
      }: ours / cheapest ${fmt(below.value)}, target < 1, ${
        below.pass === null ? 'not judged' : met(below)
      }.${
        own
          ? ` The AI SDK's integration makes ${fmt(own.details.spansPerCall, 0)} spans per call (\`invoke_agent\`, \`step 1\`, \`chat\`), ours one (\`chat {model}\`; three when governed).`
          : ''
      }${
        defaults && unrecorded && unrecorded.added > defaults.added
          ? " Not recording inputs and outputs did not make the AI SDK's telemetry cheaper in this run: with either flag off, ai 7 hands each integration a second copy of every event (and of each step in it) with the content fields blanked (`filterTelemetryEvent`), on top of the copy it always makes."
          : ''
      }${
        aiGoverned
          ? ` Governed with a cached decision: ${fmt(aiGoverned.value)} µs above tracing only (target ≤ 15 with p75 ≤ 2 × p50, ${met(aiGoverned)}); on this path the gate reads the call options as plain JSON (\`aiSdkCallView\`) on top of what every governed call does.`
          : ''
      } The middleware that carries ours is built once per model object and kept, not per call.`,
    );
  }

  const g3 = 'google-genai.genai3';
  const strict = findRow(results, `${g3} tracing only vs floor, added CPU`);
  const g3Governed = findRow(results, `${g3} governed (cached decision)`);
  if (strict?.details?.oursAddedCpuUs) {
    const sdk = findRow(results, `${g3} uninstrumented`)?.details?.sdk ?? '@google/genai 3.x';
    const hook = rowsOf(results).find(
      r => r.name.startsWith(g3) && r.details?.status === 'did not patch',
    );
    const manual = rowsOf(results).filter(
      r => r.name.startsWith(`${g3} @traceloop`) && r.details?.addedCpuUs,
    );
    const capture = r => (r.details.contentCapture === 'off' ? 'traceContent off' : 'defaults');
    lines.push(
      `- **@google/genai 3.x** (${sdk}, \`models.generateContent\`, canned answer through \`httpOptions.fetch\`): ours tracing only adds ${fmt(
        strict.details.oursAddedCpuUs.p50,
      )} µs CPU per call, the floor ${fmt(strict.details.floorAddedCpuUs.p50)} µs: strict ratio ${fmt(
        strict.value,
      )} (target ≤ 1.25, ${strict.pass === null ? 'not judged: the floor added nothing measurable' : met(strict)}).${
        g3Governed
          ? ` Governed with a cached decision: ${fmt(g3Governed.value)} µs above tracing only (target ≤ 15 with p75 ≤ 2 × p50, ${met(g3Governed)}).`
          : ''
      }${hook ? ` Traceloop's instrumentation does not patch this line through its hook (${hook.details.reason}).` : ''}${
        manual.length
          ? ` Applied by hand (\`manuallyInstrument\`, outside its declared range) it adds ${manual
              .map(r => `${fmt(r.details.addedCpuUs.p50)} µs (${capture(r)})`)
              .join(' and ')}; reported, not judged.`
          : ''
      }`,
    );
  }

  const g1 = 'google-genai-peers.genai1';
  const g1Below = findRow(results, `${g1} tracing only vs every`);
  if (g1Below?.details?.oursAddedCpuUs) {
    const sdk = findRow(results, `${g1} uninstrumented`)?.details?.sdk ?? '@google/genai 1.x';
    const peers = g1Below.details.peers
      .map(
        p =>
          `${fmt(p.addedCpuUs.p50)} µs (${/traceContent off/.test(p.name) ? 'traceContent off' : 'defaults'})`,
      )
      .join(' and ');
    lines.push(
      `- **@google/genai 1.x next to Traceloop** (${sdk} from bench/peers, canned answer as the global \`fetch\`): ours tracing only adds ${fmt(
        g1Below.details.oursAddedCpuUs.p50,
      )} µs CPU per call, Traceloop ${peers || 'nothing (it did not patch)'}: ours / cheapest ${fmt(
        g1Below.value,
      )}, target < 1, ${g1Below.pass === null ? 'not judged' : met(g1Below)}.${
        g1Below.pass === false
          ? " Traceloop's wrapper starts one span around the SDK's public method and sets its attributes from the parameters and the result; ours runs the same call through the decision pipeline even with governance off (the call object, the adapter reading request and response, the decision attribute, metric records). The CPU profiles of this report cover openai 7 only, so how that splits on this path is not measured here."
          : ''
      } Governed with a cached decision: ${fmt(
        findRow(results, `${g1} governed (cached decision)`)?.value,
      )} µs above tracing only (reported here, judged on 3.x).`,
    );
  }

  const sandbox = [
    ['ai-sdk.ai7', 'AI SDK'],
    [g3, '@google/genai 3.x'],
    [g1, '@google/genai 1.x'],
  ]
    .map(([prefix, label]) => ({
      label,
      ours: added(results, `${prefix} sandbox: ours tracing only`),
      plain: findRow(results, `${prefix} sandbox: uninstrumented`)?.details?.cpuUs,
    }))
    .filter(x => x.ours !== undefined && x.plain);
  if (sandbox.length) {
    lines.push(
      `- **Over loopback to the sandbox** ours tracing only adds ${sandbox
        .map(
          x =>
            `${fmt(x.ours)} µs (${x.label}, uninstrumented ${fmt(x.plain.p50)} µs, p25–p75 ${fmt(x.plain.p25)} – ${fmt(x.plain.p75)})`,
        )
        .join(
          '; ',
        )} of CPU per call: the HTTP client's own work dominates and its spread is far wider than the difference, so those rows are reported, not judged.`,
    );
  }
  return lines;
}

/** The @anthropic-ai/sdk 1.x and Bedrock notes: every number from this run's rows. */
function anthropic1BedrockNotes(results) {
  const lines = [];
  const a1 = 'peers-anthropic1.anthropic1';
  const a1Tracing = findRow(results, `${a1} ours: tracing only`);
  if (a1Tracing?.details?.addedCpuUs) {
    const a1Rows = rowsOf(results).filter(r => r.name.startsWith(`${a1} @`));
    const measured = a1Rows.filter(r => r.details?.addedCpuUs);
    const skipped = a1Rows.filter(r => r.details?.status === 'did not patch');
    const governed = findRow(results, `${a1} ours: governed, cached decision`);
    const label = r => r.name.replace(`${a1} `, '').replace(': CPU per call', '');
    lines.push(
      `- **@anthropic-ai/sdk 1.x** (${a1Tracing.details.sdk}, the root devDependency, canned fetch): ours tracing only adds ${fmt(
        a1Tracing.details.addedCpuUs.p50,
      )} µs CPU per call${
        measured.length
          ? `; ${measured.map(r => `${label(r)} ${fmt(r.details.addedCpuUs.p50)} µs`).join(', ')}`
          : ''
      }${governed?.details?.addedCpuUs ? `; ours governed with a cached decision ${fmt(governed.details.addedCpuUs.p50)} µs` : ''}.${
        skipped.length
          ? ` Not patching 1.x: ${[...new Set(skipped.map(r => r.name.replace(/ \(.*$/, '').replace(`${a1} `, '')))].join(', ')} (${skipped[0].details.reason}).`
          : ''
      } Like 0.x, 1.x traces its own calls when a global tracer provider is registered (\`openTelemetry\` client option, on by default; span \`anthropic.messages.create\`, scope \`com.anthropic.sdk.typescript\`, metadata only unless its content mode is set), so every 1.x scenario has that span too.`,
    );
  }
  for (const [prefix, what] of [
    ['bedrock.converse', '`ConverseCommand`'],
    ['bedrock.invoke', '`InvokeModelCommand` (Anthropic body)'],
  ]) {
    const below = findRow(results, `${prefix} tracing only vs every`);
    const governed = findRow(results, `${prefix} governed (cached decision)`);
    if (!below?.details?.oursAddedCpuUs) continue;
    const sdk = findRow(results, `${prefix} uninstrumented`)?.details?.sdk ?? 'Bedrock runtime';
    lines.push(
      `- **Bedrock ${what}** (${sdk}, canned request handler): ours tracing only adds ${fmt(
        below.details.oursAddedCpuUs.p50,
      )} µs CPU per call; ${below.details.peers
        .map(p => `${p.name} ${fmt(p.addedCpuUs.p50)} µs`)
        .join(', ')}: ours / cheapest ${fmt(below.value)}, target < 1, ${
        below.pass === null ? 'not judged' : met(below)
      }.${
        governed
          ? ` Governed with a cached decision: ${fmt(governed.value)} µs above tracing only (p25–p75 ${fmt(
              governed.details.spread.p25,
            )} – ${fmt(governed.details.spread.p75)}; target ≤ 15 with p75 ≤ 2 × p50, ${met(governed)}).`
          : ''
      }${
        prefix === 'bedrock.converse'
          ? " Traceloop's Bedrock instrumentation reads only InvokeModel bodies: a Converse call gets a `bedrock.completion` span with the provider and model and nothing from the response."
          : ''
      }`,
    );
  }
  const copy = rowsOf(results).find(
    r => r.name.startsWith('bedrock.converse') && r.name.includes('second copy of the SDK'),
  );
  if (copy?.details?.status === 'did not patch') {
    lines.push(
      `- **OpenInference and a second copy of the Bedrock SDK**: the suite uses the copy in bench/peers, the one OpenInference's package requires itself; applied to the root copy (same version) it produced no span: ${copy.details.reason}.`,
    );
  }
  return lines;
}

/** The start-up suite: the register entry's CPU per process, against node alone and the peer. */
function startupNotes(results) {
  const judged = findRow(results, 'startup.ours --require:');
  if (!judged?.details?.spread) return [];
  const value = prefix => findRow(results, prefix)?.value;
  const peers = rowsOf(results).filter(
    r => r.name.startsWith('startup.auto-instrumentations-node') && r.value !== null,
  );
  const steps = rowsOf(results).filter(r => r.name.startsWith('startup.breakdown: '));
  return [
    `- **Start-up** (\`startup\` suite: one child process per run, the app does nothing, CPU of the whole process from \`process.cpuUsage()\` at its \`exit\`; runs interleaved, paired against \`node\` alone): \`--require axonflow-otel/register\` adds ${fmt(
      judged.value,
    )} ms (p25–p75 ${fmt(judged.details.spread.p25)} – ${fmt(judged.details.spread.p75)}; target ≤ 300, ${met(
      judged,
    )}), \`--import\` ${fmt(value('startup.ours --import:'))} ms, and with \`OTEL_TRACES_EXPORTER=none\` ${fmt(
      value('startup.ours --require, OTEL_TRACES_EXPORTER=none'),
    )} ms.${
      peers.length
        ? ` \`@opentelemetry/auto-instrumentations-node/register\` (same trace exporter default, resource detectors narrowed to ours) adds ${peers
            .map(r => `${fmt(r.value)} ms (${r.name.replace(/^.*--require, (.*): CPU.*$/, '$1')})`)
            .join(' and ')}.`
        : ''
    } \`@opentelemetry/sdk-node\` is loaded only when metrics or logs exporters are asked for.${
      steps.length
        ? ` Where it goes (a child that requires the entry's packages one after the other, then the entry; each step's CPU on top of the ones before, median of ${steps[0].details.runs} runs): ${steps
            .map(r => `${r.name.replace('startup.breakdown: ', '')} ${fmt(r.value)} ms`)
            .join(
              ', ',
            )}. undici (the agent transport) and zod (the wire schemas) are loaded by the client at start, the OTLP/protobuf exporter brings \`otlp-transformer\` with the metrics SDK; loading them on first use instead would move that cost into the first governed call, and, where Node runs ES module hooks off-thread, a \`require\` after the hook is registered can fail, so the client would have to load them asynchronously.`
        : ''
    }`,
  ];
}
