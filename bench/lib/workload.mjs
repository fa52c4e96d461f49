// What the scenarios have in common: the hand-written "floor" span, the row helpers that turn a
// round series into report rows, and span checks.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { pairedCpu, pairedRoundMeans, summarize } from './rounds.mjs';
import { rounded } from './stats.mjs';

export const PROMPT = 'What is the capital of France?';

/**
 * The floor: the least an app could do by hand to trace the same call — one CLIENT span named
 * like a GenAI span with the three request attributes, made current around the call, and the
 * response id, model and token counts set on it before it ends. `response` reads the id and
 * model of a result whose fields are not named `id` and `model` (Gemini, the AI SDK).
 */
export async function floorSpan(
  tracer,
  { provider, model, operation = 'chat' },
  call,
  usage,
  response = r => [r.id, r.model],
) {
  const span = tracer.startSpan(`${operation} ${model}`, {
    kind: SpanKind.CLIENT,
    attributes: {
      'gen_ai.operation.name': operation,
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
    },
  });
  try {
    const result = await context.with(trace.setSpan(context.active(), span), call);
    const [input, output] = usage(result);
    const [id, responseModel] = response(result);
    span.setAttributes({
      'gen_ai.response.id': id,
      'gen_ai.response.model': responseModel,
      'gen_ai.usage.input_tokens': input,
      'gen_ai.usage.output_tokens': output,
    });
    return result;
  } catch (err) {
    span.setStatus({ code: SpanStatusCode.ERROR });
    throw err;
  } finally {
    span.end();
  }
}

export const openaiUsage = r => [r.usage?.prompt_tokens, r.usage?.completion_tokens];
export const anthropicUsage = r => [r.usage?.input_tokens, r.usage?.output_tokens];
export const geminiUsage = r => [
  r.usageMetadata?.promptTokenCount,
  r.usageMetadata?.candidatesTokenCount,
];
export const geminiResponse = r => [r.responseId, r.modelVersion];
export const aiSdkUsage = r => [r.usage?.inputTokens, r.usage?.outputTokens];
export const aiSdkResponse = r => [r.response?.id, r.response?.modelId];

/**
 * Wraps a scenario so that each batch checks it produced `spansPerCall` spans per call: a
 * scenario that silently lost its instrumentation half-way would otherwise yield numbers.
 */
export function counted(otel, scenario, spansPerCall) {
  let before = 0;
  return {
    ...scenario,
    async enter() {
      await scenario.enter?.();
      await otel.flush();
      before = otel.exported;
    },
    check({ calls }) {
      const got = otel.exported - before;
      const want = calls * spansPerCall;
      if (got !== want) {
        throw new Error(
          `bench: ${scenario.name} exported ${got} spans in a batch, expected ${want}`,
        );
      }
    },
  };
}

/**
 * One report row per scenario: CPU µs per call (median over batches) and its spread, the CPU
 * added over `baseline` (median of per-sub-round paired differences; also per round, on round
 * means), wall latency per call, and the chart entry.
 */
export function scenarioRow(prefix, name, results, baseline, chartGroup, extra = {}) {
  const r = results.get(name);
  const s = summarize(r);
  const { chartLabel: _label, beyondScale: _beyond, ...shown } = extra;
  const details = {
    cpuUs: s.cpuUs,
    spread: { p25: s.cpuUs.p25, p75: s.cpuUs.p75 },
    cpuMeanUs: s.cpuMeanUs,
    wallUs: s.wallUs,
    latencyUs: s.latencyUs,
    ...shown,
  };
  if (baseline && baseline !== name) {
    const added = pairedCpu(r, results.get(baseline));
    details.addedCpuUs = added;
    details.addedCpuMeanUs = pairedRoundMeans(r, results.get(baseline));
    details.baseline = baseline;
    if (chartGroup) {
      details.chart = {
        group: chartGroup,
        label: name,
        ...(extra.chartLabel ? { short: extra.chartLabel } : {}),
        ...(extra.beyondScale ? { beyondScale: true } : {}),
        p50: added.p50,
        p25: added.p25,
        p75: added.p75,
      };
    }
  }
  return {
    name: `${prefix} ${name}: CPU per call`,
    unit: 'µs',
    value: rounded(s.cpuUs.p50),
    target: null,
    pass: null,
    details: rounded(details),
  };
}

/** Throws unless `ok(spans)`; the message lists what was seen. */
export function expectSpans(what, spans, ok) {
  if (!ok(spans)) {
    const seen = spans.map(s => `${s.scope}:${s.name}`).join(', ') || 'no spans';
    throw new Error(`bench: ${what}: unexpected spans (${seen})`);
  }
}

/** The version of package `name` as `require` resolves it (its package.json may not be exported). */
export function packageVersion(require, name) {
  let dir = dirname(require.resolve(name));
  for (;;) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === name) return pkg.version;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
