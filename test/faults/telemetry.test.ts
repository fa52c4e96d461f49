/**
 * What leaves the process: no credential anywhere, no prompt or completion text unless content
 * capture is on (and then capped), agent-provided strings capped and cleaned, no spans for our own
 * agent requests when the HTTP instrumentations are on, and an app that neither waits for a slow
 * collector nor breaks when another span processor throws.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { type Handler, json } from '../helpers/scripted-agent.js';
import {
  BUILT,
  CASE_TIMEOUT,
  type CallResult,
  CLIENT_ID,
  calls,
  chatSpansByTag,
  childrenOf,
  exportedStrings,
  IMPORT,
  REPLY_PREFIX,
  SECRETS,
  withWorld,
} from './harness.js';

const PRE_CHECK = '/api/policy/pre-check';
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Prompt parts, each carrying a marker; only the last user turn is echoed by the sandbox model. */
const SYSTEM_MARKER = 'SYSTEM-PROMPT-MARKER-q81';
const HISTORY_MARKER = 'EARLIER-TURN-MARKER-k27';
const PII = 'jane.marker@example.com';
const LAST_TURN = 'What is the capital of France?';
const USER_TOKEN = 'user-token-MARKER-p55';

/** An OTLP endpoint that holds every export for `holdMs` before answering 200. */
async function slowCollector(holdMs: number) {
  const sockets = new Set<Socket>();
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    const timer = setTimeout(() => res.writeHead(200).end(), holdMs);
    res.once('close', () => clearTimeout(timer));
  });
  server.on('connection', s => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    requests: () => requests,
    close: () =>
      new Promise<void>(resolve => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

describe.skipIf(!BUILT).concurrent('what leaves the process', { timeout: CASE_TIMEOUT }, () => {
  it('collector holds every export for 3 s → app calls keep their latency, the span queue stays bounded (drops reported), the process still exits promptly', async () => {
    const collector = await slowCollector(3000);
    try {
      await withWorld({ otlpEndpoint: collector.url }, async w => {
        const steps: unknown[] = [];
        for (let tag = 1; tag <= 12; tag++)
          steps.push({ prompt: `Question ${tag}?`, tag }, { sleep: 60 });
        const env = {
          OTEL_LOG_LEVEL: 'debug',
          OTEL_BSP_MAX_QUEUE_SIZE: '8',
          OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4',
          OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '1000',
          CALLS: calls(steps),
        };
        const run = await w.run('calls.mjs', { env });
        const exitedAt = Date.now();
        const results = run.out.results as CallResult[];
        expect(results.every(r => r.ok)).toBe(true);
        // Deadlines, not benchmarks: no call waited for the collector (it holds exports 3 s).
        expect(Math.max(...results.map(r => r.ms))).toBeLessThan(2000);
        expect(run.stdout).toContain('maxQueueSize reached, dropping spans');
        expect(collector.requests()).toBeGreaterThanOrEqual(1);
        // Shutdown gave up on the collector at its timeout instead of waiting for it.
        expect(exitedAt - results.at(-1)!.at).toBeLessThan(8000);
      });
    } finally {
      await collector.close();
    }
  });

  it('debug logs on (retries included), agent echoing the credentials in its errors, SDK auth errors → no fake key in stdout, stderr, spans, audit records or error messages', async () => {
    const echo: Handler = (req, res) => {
      if (req.path !== PRE_CHECK) return json(res, 200, { success: true, audit_id: 'aud-1' });
      const said = `${req.headers.authorization} ${req.headers['x-license-key']} ${req.body}`;
      json(res, req.body.includes('[auth]') ? 401 : 500, { success: false, error: said });
    };
    await withWorld({ agent: echo }, async w => {
      const env = {
        OTEL_LOG_LEVEL: 'debug',
        AXONFLOW_DEBUG: 'true',
        CALLS: calls([
          { prompt: 'Echo my credentials [5xx]', tag: 1 },
          { sdk: 'anthropic', prompt: 'Echo my credentials [auth]', tag: 2 },
          { prompt: 'A model that refuses the key', tag: 3, model: 'sandbox-fault-401' },
          {
            sdk: 'anthropic',
            prompt: 'A model that refuses the key',
            tag: 4,
            model: 'sandbox-fault-401',
          },
        ]),
      };
      // The scan runs inside w.run(); here only that the run did what it should.
      const run = await w.run('calls.mjs', { env });
      // The agent refusing our credentials blocks the call (tag 2); the provider refusing the key fails it.
      expect(run.out.results.map((r: CallResult) => r.ok)).toEqual([true, false, false, false]);
      expect(run.out.results[1].error.code).toBe('AXONFLOW_UNCHECKED');
      expect(run.out.results[2].error.status).toBe(401);
      // The agent's echo reaches no log: only our own words about it do.
      expect(run.stderr).toContain('fail-open');
      // The agent did receive them (that is where they belong).
      expect(w.scripted!.requests[0]!.headers['x-license-key']).toBe(SECRETS.AXONFLOW_LICENSE_KEY);
      expect(w.scripted!.requests[0]!.headers.authorization).toContain('Basic ');
    });
  });

  it('content capture off (the default) → no prompt, PII, user token or completion text in any exported span, audit record or cache key', async () => {
    await withWorld({}, async w => {
      const call = {
        system: `${SYSTEM_MARKER} Contact ${PII} for billing.`,
        history: [`${HISTORY_MARKER} remember this`],
        prompt: LAST_TURN,
        user: USER_TOKEN,
      };
      const env = {
        INSPECT_CACHE: '1',
        CALLS: calls([
          { ...call, tag: 1 },
          { ...call, sdk: 'anthropic', tag: 2 },
          { ...call, stream: true, tag: 3 },
        ]),
      };
      const run = await w.run('calls.mjs', { env });
      expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
      const request = [SYSTEM_MARKER, HISTORY_MARKER, PII, USER_TOKEN, LAST_TURN];
      const exported = exportedStrings(w.spans()).join('\n');
      for (const text of [...request, REPLY_PREFIX]) expect(exported).not.toContain(text);

      // Audit records carry the start of the response (which echoes the last turn), nothing else.
      const audits = w.sandbox.audits();
      expect(audits).toHaveLength(3);
      const recorded = JSON.stringify(audits);
      for (const text of [SYSTEM_MARKER, HISTORY_MARKER, PII, USER_TOKEN]) {
        expect(recorded).not.toContain(text);
      }
      const contents = run.out.results.map((r: CallResult) => r.content);
      for (const audit of audits) {
        expect(audit.response_summary.length).toBeGreaterThan(0);
        expect(contents.some((c: string) => c.startsWith(audit.response_summary))).toBe(true);
      }

      // Cache keys are digests; the cached decisions hold no request text either.
      const writes: { key: unknown; value: string }[] = run.out.cacheWrites;
      expect(writes.length).toBeGreaterThan(0);
      for (const { key, value } of writes) {
        expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
        for (const text of [...request, CLIENT_ID, ...Object.values(SECRETS)]) {
          expect(value).not.toContain(text);
        }
      }
    });
  });

  it('content capture on (OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true) → prompt and completion on the call span, each capped at 16384 characters', async () => {
    await withWorld({}, async w => {
      const long = `${SYSTEM_MARKER} ${'policy text '.repeat(4000)}`;
      const env = {
        OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
        CALLS: calls([
          { system: SYSTEM_MARKER, prompt: LAST_TURN, tag: 1 },
          { sdk: 'anthropic', system: SYSTEM_MARKER, prompt: LAST_TURN, tag: 2 },
          { system: long, prompt: LAST_TURN, tag: 3 },
          { sdk: 'anthropic', system: long, prompt: LAST_TURN, tag: 4 },
        ]),
      };
      await w.run('calls.mjs', { env });
      const spans = chatSpansByTag(w);
      expect(spans.size).toBe(4);
      // Cut inside the longest text, so the attribute stays the JSON the conventions describe.
      const capped = (value: unknown) => {
        const text = String(value);
        expect(text).toContain(SYSTEM_MARKER);
        expect(text).toContain('…[truncated]');
        expect(text.length).toBeLessThanOrEqual(16_384);
        expect(() => JSON.parse(text)).not.toThrow();
      };
      for (const tag of [1, 2, 3, 4]) {
        const a = spans.get(tag)!.attributes;
        expect(String(a['gen_ai.output.messages'])).toContain(REPLY_PREFIX);
        if (tag <= 2) expect(String(a['gen_ai.input.messages'])).toContain(LAST_TURN);
      }
      // OpenAI carries the system prompt as a message, Anthropic as system instructions.
      expect(String(spans.get(1)!.attributes['gen_ai.input.messages'])).toContain(SYSTEM_MARKER);
      expect(String(spans.get(2)!.attributes['gen_ai.system_instructions'])).toContain(
        SYSTEM_MARKER,
      );
      capped(spans.get(3)!.attributes['gen_ai.input.messages']);
      capped(spans.get(4)!.attributes['gen_ai.system_instructions']);
    });
  });

  it('agent strings of 100 KB with control characters (block_reason, policies, context_id) → capped and cleaned on the call and pre-check spans and in the app’s error', async () => {
    const hostile = (n: number) => `evil\u0000\u001b[31m\r\nFAKE LOG LINE\u0007${'A'.repeat(n)}`;
    const agent: Handler = (req, res) => {
      if (req.path !== PRE_CHECK) return json(res, 200, { success: true, audit_id: hostile(1000) });
      const deny = req.body.includes('[deny]');
      json(res, 200, {
        context_id: hostile(100_000),
        approved: !deny,
        policies: Array.from({ length: 100 }, (_, i) => `p${i}-${hostile(1000)}`),
        expires_at: new Date(Date.now() + 60_000).toISOString(),
        block_reason: deny ? hostile(100_000) : null,
      });
    };
    await withWorld({ agent }, async w => {
      const env = {
        CALLS: calls([
          { prompt: 'Hostile agent [deny]', tag: 1 },
          { sdk: 'anthropic', prompt: 'Hostile agent [deny]', tag: 2 },
          { prompt: 'Hostile agent [allow]', tag: 3 },
        ]),
      };
      const run = await w.run('calls.mjs', { env });
      const [denied, deniedClaude, allowed] = run.out.results as CallResult[];
      expect(allowed!.ok).toBe(true);
      for (const r of [denied!, deniedClaude!]) {
        expect(r.error!.code).toBe('AXONFLOW_POLICY_VIOLATION');
        expect(r.error!.blockReason!.length).toBeLessThanOrEqual(513);
        expect(r.error!.blockReason).not.toMatch(CONTROL);
        expect(r.error!.message.length).toBeLessThan(600);
        expect(r.error!.message).not.toMatch(CONTROL);
        expect(r.error!.policies!.every(p => p.length <= 129 && !CONTROL.test(p))).toBe(true);
      }
      const preChecks = w.named('axonflow.pre_check');
      expect(preChecks).toHaveLength(3);
      for (const pre of preChecks) {
        expect(String(pre.attributes['axonflow.context_id']).length).toBeLessThanOrEqual(257);
        const policies = pre.attributes['axonflow.policies'] as string[];
        expect(policies.length).toBeLessThanOrEqual(32);
        expect(policies.every(p => p.length <= 129)).toBe(true);
      }
      for (const tag of [1, 2]) {
        const chat = chatSpansByTag(w).get(tag)!;
        const pre = childrenOf(w, chat).find(s => s.name === 'axonflow.pre_check')!;
        expect(String(pre.attributes['axonflow.block_reason']).length).toBeLessThanOrEqual(257);
        expect(String(chat.status.message).length).toBeLessThanOrEqual(256 + '…[truncated]'.length);
      }
      // Every exported value, the audit span's context id included, is capped and cleaned.
      for (const value of exportedStrings(w.spans())) {
        expect(value.length).toBeLessThanOrEqual(300);
        expect(value).not.toMatch(CONTROL);
      }
      expect(run.stderr).not.toContain('FAKE LOG LINE');
    });
  });

  it('@opentelemetry/instrumentation-http and -undici also enabled → spans for the model requests, none for the agent or the exporter, no span loop', async () => {
    await withWorld({}, async w => {
      const env = {
        CALLS: calls([
          { prompt: LAST_TURN, tag: 1 },
          { sdk: 'anthropic', prompt: LAST_TURN, tag: 2 },
          { prompt: LAST_TURN, stream: true, tag: 3 },
        ]),
      };
      const flags = [...IMPORT, '--import', './test/faults/apps/with-http-instrumentations.mjs'];
      const run = await w.run('calls.mjs', { env, flags });
      expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
      const urls = w
        .spans()
        .map(s => s.attributes['url.full'])
        .filter((u): u is string => typeof u === 'string');
      expect(urls.some(u => u.endsWith('/v1/chat/completions'))).toBe(true);
      expect(urls.some(u => u.endsWith('/v1/messages'))).toBe(true);
      expect(urls.filter(u => u.includes('/api/'))).toEqual([]);
      expect(urls.filter(u => u.includes('/v1/traces'))).toEqual([]);
      const targets = w.spans().map(s => `${s.attributes['url.path'] ?? ''}`);
      expect(targets.filter(t => t.startsWith('/api/') || t === '/v1/traces')).toEqual([]);
      // Pre-checks and audits happened, untraced by the HTTP instrumentations.
      expect(w.named('axonflow.pre_check')).toHaveLength(3);
      expect(w.sandbox.audits()).toHaveLength(3);
      // Three calls: a handful of spans each, not an export-of-an-export loop.
      expect(w.spans().length).toBeLessThanOrEqual(3 * 6);
    });
  });

  it('a span processor of the app whose onEnd throws (programmatic NodeSDK setup) → every app call still returns, our spans are still exported, both allowed calls are audited', async () => {
    await withWorld({}, async w => {
      const env = {
        OTEL_LOG_LEVEL: 'error',
        THROW_AT: 'last',
        CALLS: calls([
          { prompt: LAST_TURN, tag: 1 },
          { sdk: 'anthropic', prompt: LAST_TURN, tag: 2 },
          { prompt: 'Store my SSN 123-45-6789 for later', tag: 3 },
        ]),
      };
      const run = await w.run('programmatic.cjs', { env, flags: [] });
      expect(run.code).toBe(0);
      expect(run.out.thrown).toBe(true);
      expect(run.out.unhandled).toEqual([]);
      expect(run.out.results.map((r: CallResult) => r.ok)).toEqual([true, true, false]);
      expect(run.out.results[2].error.code).toBe('AXONFLOW_POLICY_VIOLATION');
      const chats = chatSpansByTag(w);
      expect([...chats.keys()].sort()).toEqual([1, 2, 3]);
      expect(w.named('axonflow.pre_check')).toHaveLength(3);
      expect(chats.get(3)?.status.code).toBe(2);
      expect(chats.get(3)?.attributes['error.type']).toBe('AXONFLOW_POLICY_VIOLATION');
      // The throw in onEnd costs neither the decision attributes nor the audit record.
      expect(chats.get(1)?.attributes['axonflow.decision']).toBe('allow');
      expect(w.sandbox.audits()).toHaveLength(2);
    });
  });
});
