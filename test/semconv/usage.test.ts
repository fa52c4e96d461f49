/**
 * The usage rule: exactly one span per model call carries `gen_ai.usage.*`, so a backend that
 * sums usage over spans counts each token once. `@anthropic-ai/sdk` (1.x, and the 0.x line under
 * its alias) traces itself by default (`ANTHROPIC_OPEN_TELEMETRY`) and puts the usage on its
 * `anthropic.messages.create` span; then that span carries it and our `chat {model}` span does
 * not. With the SDK's tracing off, ours carries it. The `gen_ai.client.token.usage` metric is
 * recorded once per call either way.
 */
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { attachMetrics, type Metrics, SDK_LINES, usageKeys, usageSpans } from './setup.js';

const MODEL = 'usage-claude';
const SDK_SPAN = 'anthropic.messages.create';

let sandbox: Sandbox;
let client: AxonFlowClient;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
});

afterAll(async () => {
  await client.close();
  await sandbox.close();
});

interface Usage {
  input_tokens: number;
  output_tokens: number;
}

type Shape = (anthropic: any, content: string) => Promise<Usage>;

const SHAPES: [string, Shape][] = [
  [
    'messages.create()',
    async (anthropic, content) =>
      (
        await anthropic.messages.create({
          model: MODEL,
          max_tokens: 64,
          messages: [{ role: 'user', content }],
        })
      ).usage,
  ],
  [
    'messages.create({ stream: true })',
    async (anthropic, content) => {
      const stream = await anthropic.messages.create({
        model: MODEL,
        max_tokens: 64,
        stream: true,
        messages: [{ role: 'user', content }],
      });
      const usage = { input_tokens: 0, output_tokens: 0 };
      for await (const event of stream) {
        if (event.type === 'message_start') usage.input_tokens = event.message.usage.input_tokens;
        if (event.type === 'message_delta') usage.output_tokens = event.usage.output_tokens;
      }
      return usage;
    },
  ],
  [
    'messages.stream()',
    async (anthropic, content) =>
      (
        await anthropic.messages
          .stream({ model: MODEL, max_tokens: 64, messages: [{ role: 'user', content }] })
          .finalMessage()
      ).usage,
  ],
];

describe.each(SDK_LINES)('$name', line => {
  let h: Harness;
  let metrics: Metrics;

  beforeAll(() => {
    h = setupHarness({ client }, { openai: line.openai, anthropic: line.anthropic });
  });

  afterAll(async () => {
    await h.close();
  });

  beforeEach(() => {
    h.instrumentation.setConfig({ client });
  });

  afterEach(async () => {
    await metrics?.close();
  });

  /** A client as an app makes one: no `openTelemetry` option, the environment decides. */
  function anthropicClient(sdkTracing: boolean): any {
    const saved = process.env.ANTHROPIC_OPEN_TELEMETRY;
    if (sdkTracing) delete process.env.ANTHROPIC_OPEN_TELEMETRY;
    else process.env.ANTHROPIC_OPEN_TELEMETRY = 'false';
    try {
      const Anthropic = line.anthropic.default as any;
      return new Anthropic({ apiKey: 'sk-ant-test', baseURL: sandbox.url, maxRetries: 0 });
    } finally {
      if (saved === undefined) delete process.env.ANTHROPIC_OPEN_TELEMETRY;
      else process.env.ANTHROPIC_OPEN_TELEMETRY = saved;
    }
  }

  /** One call, alone in the exporter and the meter: what carries its usage. */
  async function oneCall(shape: Shape, sdkTracing: boolean, content: string) {
    h.reset();
    await metrics?.close();
    metrics = attachMetrics(h.instrumentation);
    const usage = await shape(anthropicClient(sdkTracing), content);
    const spans = h.spans();
    const tokens = await metrics.points('gen_ai.client.token.usage');
    return { usage, spans, tokens };
  }

  function expectUsageOn(spans: ReadableSpan[], name: string, usage: Usage): void {
    const carrying = usageSpans(spans);
    expect(carrying.map(s => s.name)).toEqual([name]);
    expect(carrying[0]!.attributes['gen_ai.usage.input_tokens']).toBe(usage.input_tokens);
    expect(carrying[0]!.attributes['gen_ai.usage.output_tokens']).toBe(usage.output_tokens);
    // No other span carries any usage attribute, cache and reasoning counts included.
    for (const span of spans.filter(s => s !== carrying[0])) expect(usageKeys(span)).toEqual([]);
    expect(spans.filter(s => s.name === `chat ${MODEL}`)).toHaveLength(1);
  }

  function expectTokenMetricOnce(tokens: { attributes: any; count: number; sum: number }[]) {
    const input = tokens.filter(p => p.attributes['gen_ai.token.type'] === 'input');
    const output = tokens.filter(p => p.attributes['gen_ai.token.type'] === 'output');
    expect(input.reduce((n, p) => n + p.count, 0)).toBe(1);
    expect(output.reduce((n, p) => n + p.count, 0)).toBe(1);
  }

  it.each(SHAPES)(
    '%s: exactly one span carries gen_ai.usage.*, the SDK span with its tracing on and ours with it off; the token metric is recorded once either way',
    async (_name, shape) => {
      const on = await oneCall(shape, true, 'Name a river, traced by the SDK');
      expect(on.spans.filter(s => s.name === SDK_SPAN)).toHaveLength(1);
      expectUsageOn(on.spans, SDK_SPAN, on.usage);
      expectTokenMetricOnce(on.tokens);

      const off = await oneCall(shape, false, 'Name a river, not traced by the SDK');
      expect(off.spans.filter(s => s.name === SDK_SPAN)).toHaveLength(0);
      expectUsageOn(off.spans, `chat ${MODEL}`, off.usage);
      expectTokenMetricOnce(off.tokens);
    },
  );

  it('keeps one usage span per call with governance off too (no gate, no pre-check)', async () => {
    h.instrumentation.setConfig({ governance: false });
    const create = SHAPES[0]![1];
    const on = await oneCall(create, true, 'Name a lake, ungoverned and traced by the SDK');
    expect(on.spans.find(s => s.name === `chat ${MODEL}`)?.attributes['axonflow.decision']).toBe(
      'skipped',
    );
    expectUsageOn(on.spans, SDK_SPAN, on.usage);
    expectTokenMetricOnce(on.tokens);
    const off = await oneCall(create, false, 'Name a lake, ungoverned and not traced');
    expectUsageOn(off.spans, `chat ${MODEL}`, off.usage);
    expectTokenMetricOnce(off.tokens);
  });
});
