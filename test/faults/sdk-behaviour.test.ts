/**
 * The app's SDK code behaves exactly as without instrumentation: the SDK surface (raw responses,
 * tee, abort, break, helpers), SDK retries, request objects we cannot read, broken and abandoned
 * streams. Each case compares the instrumented run with a plain `node` run of the same app, then
 * checks the spans: every call span ended once, nothing left pending.
 */
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../helpers/otlp-receiver.js';
import { type Handler, startScriptedAgent } from '../helpers/scripted-agent.js';
import {
  BUILT,
  CASE_TIMEOUT,
  type CallResult,
  calls,
  chatSpansByTag,
  childrenOf,
  IMPORT,
  REQUIRE,
  withWorld,
} from './harness.js';

const NO_AUDIT = { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'axonflow-audit' };

/** An OpenAI-compatible model whose streams are broken in the way the model name asks for. */
const malformedModel: Handler = (req, res) => {
  const chunk = (delta: object, extra: object = {}) =>
    `data: ${JSON.stringify({
      id: 'chatcmpl-malformed',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'malformed',
      choices: [{ index: 0, delta, finish_reason: null }],
      ...extra,
    })}\n\n`;
  const noChoices = `data: ${JSON.stringify({ id: 'chatcmpl-malformed', object: 'chat.completion.chunk' })}\n\n`;
  const bodies: Record<string, string> = {
    'sse-no-choices': chunk({ content: 'Hello' }) + noChoices + chunk({ content: ' world' }),
    'sse-non-json': `${chunk({ content: 'Hello' })}data: {not json\n\n${chunk({ content: '!' })}`,
    'sse-no-done': chunk({ content: 'Hello' }) + chunk({ content: ' world' }),
    'sse-many': chunk({ content: 'x' }).repeat(100_000),
  };
  const model = String(JSON.parse(req.body).model);
  const done = model === 'sse-no-done' ? '' : 'data: [DONE]\n\n';
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  res.end((bodies[model] ?? '') + done);
};

/** Call spans that were exported more than once (a span ended twice would be). */
function duplicates(spans: ReceivedSpan[]): string[] {
  const seen = new Set<string>();
  return spans.filter(s => seen.size === seen.add(s.spanId).size).map(s => s.name);
}

describe
  .skipIf(!BUILT)
  .concurrent('SDK behaviour under the register entry', { timeout: CASE_TIMEOUT }, () => {
    it('breaking out of 1000 streams in a loop → 1000 call spans, every one ended and marked cancelled; no sockets or heap left behind', async () => {
      await withWorld({}, async w => {
        const env = { ...NO_AUDIT, BREAKS: '1000' };
        const run = await w.run('streams.mjs', {
          env,
          flags: [...IMPORT, '--expose-gc'],
          deadlineMs: 60_000,
        });
        expect(run.out.breaks.firstChunks).toBe(1000);
        expect(run.out.breaks.sockets).toBeLessThanOrEqual(4);
        expect(run.out.breaks.heapGrowth).toBeLessThan(16 * 1024 * 1024);
        const chats = w.spans().filter(s => s.name.startsWith('chat'));
        expect(chats).toHaveLength(1000);
        expect(duplicates(chats)).toEqual([]);
        expect(chats.every(s => s.attributes['axonflow.stream.cancelled'] === true)).toBe(true);
        // One pre-check reached the agent; the other 999 were cache hits.
        expect(w.sandbox.agentRequests()).toBe(1);
      });
    });

    it('malformed streams (chunk without choices, non-JSON data line, [DONE] missing, 100k chunks, mid-stream cut, stall then abort) → the app sees what it sees uninstrumented; each call span ends exactly once, captured text capped', async () => {
      const model = await startScriptedAgent(malformedModel);
      try {
        await withWorld({}, async w => {
          const cases = [
            'sse-no-choices',
            'sse-non-json',
            'sse-no-done',
            'sse-many',
            'sandbox-fault-cut',
            'sandbox-fault-stall-mid',
          ];
          const env = {
            ...NO_AUDIT,
            MALFORMED_BASE_URL: model.url,
            STREAM_CASES: cases.join(','),
            OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
          };
          const [run, bare] = await Promise.all([
            w.run('streams.mjs', { env, deadlineMs: 60_000 }),
            w.bare('streams.mjs', env),
          ]);
          expect(run.out.cases).toEqual(bare.out.cases);
          expect(run.out.cases['sse-many'].chunks).toBe(100_000);
          expect(run.out.unhandled).toEqual([]);
          const chats = w.spans().filter(s => s.name.startsWith('chat'));
          expect(chats).toHaveLength(cases.length);
          expect(duplicates(chats)).toEqual([]);
          const byTag = chatSpansByTag(w);
          expect(byTag.get(2)?.status.code).toBe(2); // non-JSON line: the SDK's SyntaxError
          expect(byTag.get(5)?.status.code).toBe(2); // cut
          const many = String(byTag.get(4)?.attributes['gen_ai.output.messages']);
          expect(many.length).toBeGreaterThan(16_000);
          expect(many.length).toBeLessThanOrEqual(16_384 + '…[truncated]'.length);
        });
      } finally {
        await model.close();
      }
    });

    it('withResponse / asResponse / tee / toReadableStream / abort / break / double iteration / messages.stream() → what the app sees equals the uninstrumented run; every call span ended', async () => {
      await withWorld({}, async w => {
        const [run, bare] = await Promise.all([w.run('surface.mjs'), w.bare('surface.mjs')]);
        expect(run.code).toBe(0);
        expect(run.out.unhandled).toEqual([]);
        expect(run.out.results).toEqual(bare.out.results);
        const tags = [...chatSpansByTag(w).keys()].sort((a, b) => a - b);
        expect(tags).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 14, 15, 16]);
        const chats = w.spans().filter(s => s.name.startsWith('chat'));
        expect(duplicates(chats)).toEqual([]);
        const byTag = chatSpansByTag(w);
        for (const tag of [5, 15]) {
          expect(byTag.get(tag)?.attributes['axonflow.stream.cancelled'], `break, tag ${tag}`).toBe(
            true,
          );
        }
        expect(byTag.get(8)?.attributes['error.type']).toBe('APIUserAbortError');
      });
    });

    it('model answers 429 then 200 (and 529 until the SDK gives up) → the SDK retries, and there is still exactly 1 pre-check per call', async () => {
      await withWorld({}, async w => {
        w.sandbox.injectModelFault('429', 1);
        const env = {
          ...NO_AUDIT,
          CALLS: calls([
            { prompt: 'Retry me, please', tag: 1 },
            { sdk: 'anthropic', prompt: 'Retry me too', tag: 2, model: 'sandbox-fault-529' },
          ]),
        };
        const run = await w.run('calls.mjs', { env });
        const [openai, anthropic] = run.out.results as CallResult[];
        expect(openai!.ok).toBe(true);
        expect(anthropic!.ok).toBe(false);
        expect(anthropic!.error!.status).toBe(529);
        // 2 OpenAI attempts, 3 Anthropic ones (its default maxRetries is 2); 2 pre-checks.
        expect(w.sandbox.modelRequests()).toBe(2 + 3);
        expect(w.sandbox.agentRequests()).toBe(2);
        for (const [tag, chat] of chatSpansByTag(w)) {
          const children = childrenOf(w, chat).map(s => s.name);
          expect(
            children.filter(n => n === 'axonflow.pre_check'),
            `tag ${tag}`,
          ).toHaveLength(1);
          expect(children.filter(n => n === 'axonflow.delegate').length).toBeLessThanOrEqual(1);
          expect(chat.attributes['axonflow.decision'], `tag ${tag}`).toBe('allow');
        }
        expect(chatSpansByTag(w).get(2)?.status.code).toBe(2);
      });
    });

    it('request objects our code cannot read (Proxy throwing on read, circular params, no messages, no params) → the app sees the SDK’s own behaviour, no unhandled rejection', async () => {
      await withWorld({}, async w => {
        const [run, bare] = await Promise.all([w.run('hostile.mjs'), w.bare('hostile.mjs')]);
        expect(run.code).toBe(0);
        expect(run.out.results).toEqual(bare.out.results);
        expect(Object.keys(run.out.results)).toHaveLength(10);
        expect(run.out.unhandled).toEqual([]);
        expect(run.out.uncaught).toEqual([]);
      });
    });

    it('--require and --import of the register entry together → one set of spans, one pre-check per call, no double wrap', async () => {
      await withWorld({}, async w => {
        const env = {
          ...NO_AUDIT,
          CALLS: calls([
            { prompt: 'What is the capital of France?', tag: 1 },
            { sdk: 'anthropic', prompt: 'What is the capital of Italy?', tag: 2 },
            { prompt: 'Store my SSN 123-45-6789 for later', tag: 3 },
          ]),
        };
        const run = await w.run('calls.mjs', { env, flags: [...REQUIRE, ...IMPORT] });
        expect(run.code).toBe(0);
        expect(run.stderr).toBe('');
        expect(run.out.results.map((r: CallResult) => r.ok)).toEqual([true, true, false]);
        expect(run.out.results[2].error.code).toBe('AXONFLOW_POLICY_VIOLATION');
        // Three calls: three call spans, each with exactly one pre-check, none nested.
        const chats = w.spans().filter(s => s.name.startsWith('chat'));
        expect(chats).toHaveLength(3);
        for (const chat of chats) {
          expect(childrenOf(w, chat).filter(s => s.name === 'axonflow.pre_check')).toHaveLength(1);
          expect(childrenOf(w, chat).filter(s => s.name.startsWith('chat'))).toHaveLength(0);
        }
        expect(w.named('axonflow.pre_check')).toHaveLength(3);
        expect(w.named('axonflow.delegate')).toHaveLength(2); // the denied call is never delegated
        expect(w.sandbox.agentRequests()).toBe(3);
      });
    });

    it('a second AxonFlowInstrumentation next to the register entry’s, which is then disabled and re-enabled (twice) → never wrapped twice, prototypes restored while off, no agent call while off', async () => {
      await withWorld({}, async w => {
        const run = await w.run('toggle.mjs', { env: NO_AUDIT });
        expect(run.out.started).toBe(true);
        expect(run.out.steps).toEqual([
          {
            name: 'started',
            request: true,
            requestTwice: false,
            prepareOptions: true,
            prepareOptionsTwice: false,
            denied: 'AXONFLOW_POLICY_VIOLATION',
          },
          {
            name: 'disabled',
            request: false,
            requestTwice: false,
            prepareOptions: false,
            prepareOptionsTwice: false,
            denied: 'went through',
          },
          {
            name: 'enabled again',
            request: true,
            requestTwice: false,
            prepareOptions: true,
            prepareOptionsTwice: false,
            denied: 'AXONFLOW_POLICY_VIOLATION',
          },
          {
            name: 'enabled twice',
            request: true,
            requestTwice: false,
            prepareOptions: true,
            prepareOptionsTwice: false,
            denied: 'AXONFLOW_POLICY_VIOLATION',
          },
        ]);
        // The call made while disabled (tag 2) has no span and reached the model unchecked.
        expect([...chatSpansByTag(w).keys()].sort()).toEqual([1, 3, 4]);
        expect(w.named('axonflow.pre_check')).toHaveLength(3);
        expect(w.sandbox.modelRequests()).toBe(1);
      });
    });
  });
