// Programmatic setup instead of the register entry: the app builds its own NodeSDK with the
// AxonFlow instrumentation, an OTLP exporter, the audit span processor and a span processor of
// its own whose onEnd throws (THROW_AT=first|last places it before or after the others; none
// leaves it out). Makes the calls in CALLS (`sdk`, `prompt`, `tag`) and prints one JSON line with
// the outcomes.
const { NodeSDK } = require('@opentelemetry/sdk-node');
const { BatchSpanProcessor } = require('@opentelemetry/sdk-trace');
const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
const { AxonFlowAuditSpanProcessor, AxonFlowInstrumentation } = require('axonflow-otel');

let thrown = 0;
const throwing = {
  onStart() {},
  onEnd() {
    thrown++;
    throw new Error('span processor onEnd failed');
  },
  forceFlush: async () => {},
  shutdown: async () => {},
};
const ours = [
  new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 50 }),
  new AxonFlowAuditSpanProcessor({ scheduledDelayMillis: 50 }),
];
const sdk = new NodeSDK({
  instrumentations: [new AxonFlowInstrumentation()],
  spanProcessors:
    process.env.THROW_AT === 'none'
      ? ours
      : process.env.THROW_AT === 'first'
        ? [throwing, ...ours]
        : [...ours, throwing],
  metricReaders: [],
});
sdk.start();

const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');

const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));

async function run(call) {
  try {
    if (call.sdk === 'anthropic') {
      const message = await new Anthropic().messages.create({
        model: 'sandbox-claude',
        max_tokens: 256,
        top_k: call.tag,
        messages: [{ role: 'user', content: call.prompt }],
      });
      return { tag: call.tag, ok: true, content: message.content[0]?.text };
    }
    const completion = await new OpenAI().chat.completions.create({
      model: 'sandbox-gpt',
      seed: call.tag,
      messages: [{ role: 'user', content: call.prompt }],
    });
    return { tag: call.tag, ok: true, content: completion.choices[0].message.content };
  } catch (err) {
    return { tag: call.tag, ok: false, error: { name: err?.constructor?.name, code: err?.code } };
  }
}

(async () => {
  const results = [];
  for (const call of JSON.parse(process.env.CALLS ?? '[]')) results.push(await run(call));
  await sdk.shutdown();
  console.log(JSON.stringify({ results, thrown: thrown > 0, unhandled }));
})();
