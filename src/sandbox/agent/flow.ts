/**
 * Runs an allowed, streamed `/api/request` as an AXON flow: one `respond` step whose tokens come
 * from the sandbox model, a `tool_call` when the request offers tools the prompt asks for, then
 * `flow_complete` — or `flow_error` mid-way under the `flow-error` fault. Events go through the
 * requested dialect adapter and out as SSE; a client that disconnects stops the flow.
 */
import { randomInt } from 'node:crypto';
import {
  type AxonDialect,
  createDialectAdapter,
  type FlowExecutionEvent,
} from '../axon-dialects.js';
import { EVENTS_BEFORE_FAULT, type Fault } from '../faults.js';
import { SseStream } from '../http/sse.js';
import { generate, type ToolSpec } from '../model/engine.js';
import { tokenPieces } from '../model/tokenizer.js';
import type { AgentContext } from './common.js';

export interface FlowRequest {
  dialect: AxonDialect;
  query: string;
  backend: string;
  flowName: string;
  tools: ToolSpec[];
  maxTokens: number | undefined;
  /** Policies that flagged the query; reported as the step's stream policies. */
  flagged: string[];
}

const STEP = 'respond';

export async function streamFlow(ctx: AgentContext, request: FlowRequest): Promise<void> {
  // 48 bits keeps the trace id exact in JSON for every consumer (JavaScript numbers included).
  const traceId = randomInt(1, 2 ** 48 - 1);
  const adapter = createDialectAdapter(request.dialect, traceId);
  const out = new SseStream(ctx.res, ctx.fault ? { fault: ctx.fault } : {});
  for (const event of flowEvents(request, ctx.fault)) {
    if (!(await out.sendAll(adapter.translate(event)))) return;
  }
  if (await out.sendAll(adapter.flushTerminator())) out.end();
}

function* flowEvents(
  request: FlowRequest,
  fault: Fault | undefined,
): Generator<FlowExecutionEvent> {
  const started = Date.now();
  const now = () => Date.now();
  const gen = generate({
    turns: [{ role: 'user', text: request.query }],
    tools: request.tools,
    toolChoice: { kind: 'auto' },
    ...(request.maxTokens === undefined ? {} : { maxTokens: request.maxTokens }),
  });
  yield {
    kind: 'flow_start',
    flow_name: request.flowName,
    backend: request.backend,
    timestamp_ms: now(),
  };
  yield {
    kind: 'step_start',
    step_name: STEP,
    step_index: 0,
    step_type: 'llm',
    timestamp_ms: now(),
  };
  const pieces = gen.toolCall ? tokenPieces(gen.toolPreamble) : gen.pieces;
  let tokenIndex = 0;
  for (const content of pieces) {
    tokenIndex += 1;
    yield {
      kind: 'step_token',
      step_name: STEP,
      content,
      token_index: tokenIndex,
      timestamp_ms: now(),
    };
    if (fault?.kind === 'flow-error' && tokenIndex === EVENTS_BEFORE_FAULT) {
      yield {
        kind: 'flow_error',
        flow_name: request.flowName,
        error: `flow node '${STEP}' failed: fault injected by the AxonFlow sandbox`,
        timestamp_ms: now(),
      };
      return;
    }
  }
  if (gen.toolCall) {
    yield {
      kind: 'tool_call',
      step_name: STEP,
      tool_name: gen.toolCall.name,
      content: gen.toolCall.argumentsJson,
      timestamp_ms: now(),
    };
  }
  // A tool call's arguments are output tokens too, beyond the streamed preamble.
  const tokensOutput = gen.toolCall ? tokenIndex + gen.outputTokens : gen.outputTokens;
  yield {
    kind: 'step_complete',
    step_name: STEP,
    step_index: 0,
    success: true,
    full_output: gen.toolCall ? gen.toolPreamble : gen.text,
    tokens_input: gen.inputTokens,
    tokens_output: tokensOutput,
    timestamp_ms: now(),
  };
  yield {
    kind: 'flow_complete',
    flow_name: request.flowName,
    backend: request.backend,
    success: true,
    steps_executed: 1,
    tokens_input: gen.inputTokens,
    tokens_output: tokensOutput,
    latency_ms: now() - started,
    timestamp_ms: now(),
    stream_policies: request.flagged.map(policy => ({ step: STEP, policy })),
  };
}
