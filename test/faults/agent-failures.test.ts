/**
 * The agent misbehaves. When it is unavailable (refused connections, 5xx, hangs, slow drips) the
 * app does not notice: the call fails open and proceeds exactly as without instrumentation. When
 * it answers but not with a verdict we can act on (bad credentials, huge and garbage replies) the
 * call is blocked with an `UncheckedRequestError`, and a valid deny always blocks. The per-request
 * failure modes share one app run against a scripted agent that answers each prompt by the case it
 * names; refused connections, denies and the breaker cycle have runs of their own.
 */
import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { type Handler, json, type ReceivedRequest } from '../helpers/scripted-agent.js';
import {
  type AppRun,
  BUILT,
  CASE_TIMEOUT,
  type CallResult,
  calls,
  chatSpansByTag,
  childrenOf,
  closedPort,
  IMPORT,
  outcomes,
  REQUIRE,
  shared,
  withWorld,
} from './harness.js';

const PRE_CHECK = '/api/policy/pre-check';
const TIMEOUT_MS = 800;
const HUGE_BYTES = 10 * 1024 * 1024;

function query(req: ReceivedRequest): string {
  try {
    return String(JSON.parse(req.body).query ?? '');
  } catch {
    return '';
  }
}

/** How the scripted agent answers a pre-check whose prompt names the case. */
type Reply = (res: ServerResponse) => void;

const hangClosedAt: number[] = [];
const dripClosedAt: number[] = [];
const hugeBytesSent: number[] = [];

const REPLIES: Record<string, Reply> = {
  '500': res => json(res, 500, { success: false, error: 'agent broken' }),
  '502': res => json(res, 502, { success: false, error: 'bad gateway' }),
  '503': res => json(res, 503, { success: false, error: 'unavailable' }),
  '401': res => json(res, 401, { success: false, error: 'bad credentials' }),
  '403': res => json(res, 403, { success: false, error: 'forbidden' }),
  hang: res => {
    res.once('close', () => hangClosedAt.push(Date.now()));
  },
  drip: res => {
    // One byte per 100 ms: every gap is far below any per-read timeout.
    const body = `{"context_id":"ctx-drip","approved":true,"policies":[]${' '.repeat(200)}}`;
    res.writeHead(200, { 'content-type': 'application/json' });
    let i = 0;
    const timer = setInterval(() => {
      if (i < body.length) res.write(body[i++]);
      else res.end();
    }, 100);
    res.once('close', () => {
      clearInterval(timer);
      dripClosedAt.push(Date.now());
    });
  },
  huge: res => {
    // No content-length: the cap has to be enforced while reading.
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{"context_id":"ctx-huge","approved":true,"policies":[],"pad":"');
    const chunk = 'x'.repeat(64 * 1024);
    let written = 0;
    const pump = () => {
      while (!res.destroyed && written < HUGE_BYTES) {
        written += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      if (!res.destroyed) res.end('"}');
    };
    res.once('close', () => hugeBytesSent.push(written));
    pump();
  },
  html: res => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<html><body>Bad gateway</body></html>');
  },
  empty: res => {
    res.writeHead(200, { 'content-length': '0' });
    res.end();
  },
  'approved-yes': res => json(res, 200, { context_id: 'c', approved: 'yes', policies: [] }),
  'missing-fields': res => json(res, 200, { approved: false }),
  truncated: res => json(res, 200, '{"context_id":"c","approved":fal'),
  proto: res =>
    json(
      res,
      200,
      '{"context_id":"c","approved":false,"policies":[],"__proto__":{"approved":true,"polluted":1}}',
    ),
  'constructor-prototype': res =>
    json(
      res,
      200,
      '{"context_id":"c","approved":false,"policies":[],"constructor":{"prototype":{"approved":true,"polluted":1}}}',
    ),
};
const CASES = Object.keys(REPLIES);
const GARBAGE = CASES.slice(CASES.indexOf('html'));
/** Unavailability: these fail open. Every other case blocks the call. */
const FAIL_OPEN = ['500', '502', '503', 'hang', 'drip'];
/** The reply says `approved: false` (its other fields missing): a deny. */
const DENIES = ['missing-fields'];
const tagOf = (name: string) => CASES.indexOf(name) + 1;

const misbehaving: Handler = (req, res) => {
  const name = CASES.find(n => query(req).includes(`[case ${n}]`));
  if (name) REPLIES[name]!(res);
  else json(res, 404, { success: false, error: 'unknown case' });
};

/** One call per case, rotating over OpenAI, Anthropic and an OpenAI stream, then a pause. */
const CASE_CALLS = calls([
  ...CASES.map((name, i) => ({
    prompt: `Agent case [case ${name}]`,
    tag: i + 1,
    ...(i % 3 === 1 ? { sdk: 'anthropic' } : i % 3 === 2 ? { stream: true } : {}),
  })),
  // Keeps the app alive: a socket closed at a deadline closes long before the process exits.
  { sleep: 1500 },
]);

const misbehavingRun = shared({ agent: misbehaving }, async w => {
  const env = {
    AXONFLOW_TIMEOUT_MS: String(TIMEOUT_MS),
    // Every case here is a failure: keep the breaker out of it (it has its own case).
    AXONFLOW_BREAKER_THRESHOLD: '1000',
    OTEL_LOG_LEVEL: 'warn',
    CALLS: CASE_CALLS,
  };
  const [run, bare] = await Promise.all([w.run('calls.mjs', { env }), w.bare('calls.mjs', env)]);
  return { run, bare };
});

/** The case's result, its call span's attributes, and the pre-checks the agent received for it. */
async function caseOf(name: string) {
  const { w, value } = await misbehavingRun();
  const result = (value.run.out.results as CallResult[]).find(r => r.tag === tagOf(name))!;
  const span = chatSpansByTag(w).get(tagOf(name));
  expect(span, `call span of case ${name}`).toBeDefined();
  const hits = w.scripted!.requests.filter(
    r => r.path === PRE_CHECK && query(r).includes(`[case ${name}]`),
  ).length;
  return { result, attributes: span!.attributes, hits, run: value.run };
}

function lines(run: AppRun, text: string): string[] {
  return run.stderr.split('\n').filter(l => l.includes(text));
}

describe
  .skipIf(!BUILT)
  .concurrent(
    'agent failures, end to end through the register entry',
    { timeout: CASE_TIMEOUT },
    () => {
      it('breaker cycle: auth errors block and never count; after 3 outages the agent hit count stops rising; one half-open probe at a time; a failed probe re-opens, a good one closes', async () => {
        let outages = 0;
        const agent: Handler = async (req, res) => {
          if (req.path !== PRE_CHECK) return json(res, 404, { success: false, error: 'no' });
          if (query(req).includes('[auth]')) return json(res, 401, { success: false, error: 'no' });
          outages++;
          if (outages <= 4) return json(res, 503, { success: false, error: 'down' });
          if (outages === 5) await new Promise(r => setTimeout(r, 200)); // a slow, good probe
          json(res, 200, {
            context_id: `ctx-${outages}`,
            approved: true,
            policies: [],
            expires_at: new Date(Date.now() + 60_000).toISOString(),
          });
        };
        await withWorld({ agent }, async w => {
          const call = (tag: number, marker = '') => ({ prompt: `Breaker ${tag}? ${marker}`, tag });
          const env = {
            AXONFLOW_BREAKER_THRESHOLD: '3',
            AXONFLOW_BREAKER_RESET_MS: '3000',
            AXONFLOW_RETRY_MAX_ATTEMPTS: '1',
            CALLS: calls([
              call(101, '[auth]'),
              call(102, '[auth]'),
              call(103, '[auth]'), // three auth failures: the circuit stays closed
              call(1),
              call(2),
              call(3), // third outage: opens
              call(4),
              call(5), // refused without reaching the agent
              { sleep: 3200 },
              call(6), // half-open probe: fails, re-opens
              call(7), // refused
              { sleep: 3200 },
              [call(8), call(9)], // one probe (succeeds, closes); the concurrent call is refused
              call(10), // closed
            ]),
          };
          const run = await w.run('calls.mjs', { env });
          for (const r of run.out.results as CallResult[]) {
            if (r.tag! > 100) expect(r.error?.code, `tag ${r.tag}`).toBe('AXONFLOW_UNCHECKED');
            else expect(r.ok, `tag ${r.tag}`).toBe(true);
          }
          const reasons = Object.fromEntries(
            [...chatSpansByTag(w)].map(([tag, s]) => [
              tag,
              s.attributes['axonflow.unchecked.reason'] ??
                s.attributes['axonflow.fail_open.reason'] ??
                s.attributes['axonflow.decision'],
            ]),
          );
          expect(reasons).toEqual({
            101: 'auth',
            102: 'auth',
            103: 'auth',
            1: 'http_5xx',
            2: 'http_5xx',
            3: 'http_5xx',
            4: 'circuit_open',
            5: 'circuit_open',
            6: 'http_5xx',
            7: 'circuit_open',
            8: 'allow',
            9: 'circuit_open',
            10: 'allow',
          });
          expect(w.scripted!.count(PRE_CHECK)).toBe(3 + 6);
        });
      });

      it('every per-request failure mode → unavailability proceeds exactly as uninstrumented, everything else is blocked with a PolicyViolationError subclass; one diag warning and one diag error per window, one notice per kind, no unhandled rejection', async () => {
        const { value } = await misbehavingRun();
        const { run, bare } = value;
        expect(run.code).toBe(0);
        expect(run.out.results).toHaveLength(CASES.length);
        const byTag = (results: CallResult[], names: string[]) =>
          outcomes(results.filter(r => names.map(tagOf).includes(r.tag!)));
        expect(byTag(run.out.results, FAIL_OPEN)).toEqual(byTag(bare.out.results, FAIL_OPEN));
        for (const name of CASES.filter(n => !FAIL_OPEN.includes(n))) {
          const result = (run.out.results as CallResult[]).find(r => r.tag === tagOf(name))!;
          expect(result.ok, name).toBe(false);
          expect(result.error?.code, name).toBe(
            DENIES.includes(name) ? 'AXONFLOW_POLICY_VIOLATION' : 'AXONFLOW_UNCHECKED',
          );
        }
        expect(run.out.unhandled).toEqual([]);
        // Through diag (OTEL_LOG_LEVEL): one warning per window, one blocked error per window.
        expect(lines(run, 'AxonFlow unavailable (fail-open)')).toHaveLength(1);
        expect(lines(run, 'calls are blocked (not checked) until this is fixed')).toHaveLength(1);
        // Without any logger configured: one notice per fail-open reason and per blocked kind.
        expect(lines(run, 'calls proceed NOT governed (fail-open, ').length).toBeGreaterThan(1);
        expect(lines(run, 'calls are BLOCKED, not checked, until the credentials')).toHaveLength(1);
        expect(
          lines(run, "calls are BLOCKED, not checked, while the agent's verdict"),
        ).toHaveLength(1);
      });

      it('agent answers 500, 502 and 503 → the call proceeds (fail_open:http_5xx), retried once within the deadline', async () => {
        for (const status of ['500', '502', '503']) {
          const { result, attributes, hits } = await caseOf(status);
          expect(result.ok).toBe(true);
          expect(attributes['axonflow.decision'], status).toBe('fail_open');
          expect(attributes['axonflow.fail_open'], status).toBe(true);
          expect(attributes['axonflow.fail_open.reason'], status).toBe('http_5xx');
          expect(attributes['axonflow.audit.skipped'], status).toBe('fail_open:http_5xx');
          expect(hits, status).toBe(2);
        }
      });

      it('agent answers 401 / 403 → the call is blocked (UncheckedRequestError, reason auth), never retried, logged at error level', async () => {
        for (const status of ['401', '403']) {
          const { result, attributes, hits, run } = await caseOf(status);
          expect(result.ok, status).toBe(false);
          expect(result.error, status).toMatchObject({
            name: 'UncheckedRequestError',
            code: 'AXONFLOW_UNCHECKED',
            status: Number(status),
          });
          expect(attributes['axonflow.decision'], status).toBe('error');
          expect(attributes['axonflow.unchecked.reason'], status).toBe('auth');
          expect(hits, status).toBe(1);
          expect(lines(run, 'refused the credentials')[0]).toMatch(/HTTP 40[13]/);
        }
      });

      it('agent accepts and never answers → the call proceeds at the deadline (fail_open:timeout) and the socket is destroyed then', async () => {
        const { result, attributes } = await caseOf('hang');
        expect(result.ok).toBe(true);
        expect(attributes['axonflow.fail_open.reason']).toBe('timeout');
        expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
        expect(result.ms).toBeLessThan(TIMEOUT_MS + 2000);
        // Closed at the deadline, not when the process exited 1.5 s after the last call.
        expect(hangClosedAt).toHaveLength(1);
        expect(hangClosedAt[0]!).toBeLessThan(result.at + 1000);
      });

      it('agent drips its reply one byte per 100 ms → the overall deadline fires anyway (fail_open:timeout)', async () => {
        const { result, attributes } = await caseOf('drip');
        expect(result.ok).toBe(true);
        expect(attributes['axonflow.fail_open.reason']).toBe('timeout');
        expect(result.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 10);
        expect(result.ms).toBeLessThan(TIMEOUT_MS + 2000);
        expect(dripClosedAt).toHaveLength(1);
        expect(dripClosedAt[0]!).toBeLessThan(result.at + 1000);
      });

      it('agent sends a 10 MB reply → cut off at the size cap, the call is blocked (unchecked: invalid_response)', async () => {
        const { result, attributes, hits } = await caseOf('huge');
        expect(result.ok).toBe(false);
        expect(result.error?.code).toBe('AXONFLOW_UNCHECKED');
        expect(attributes['axonflow.unchecked.reason']).toBe('invalid_response');
        expect(hits).toBe(1);
        // The client hung up long before the 10 MB were out.
        expect(hugeBytesSent).toHaveLength(1);
        expect(hugeBytesSent[0]!).toBeLessThan(HUGE_BYTES);
      });

      it('agent answers garbage (HTML, empty, approved:"yes", truncated JSON, __proto__, constructor.prototype) → blocked (unchecked: invalid_response); approved:false with missing fields → a deny; never an allow, no prototype change in the app', async () => {
        for (const name of GARBAGE) {
          const { result, attributes, hits, run } = await caseOf(name);
          expect(result.ok, name).toBe(false);
          if (DENIES.includes(name)) {
            expect(result.error?.code, name).toBe('AXONFLOW_POLICY_VIOLATION');
            expect(attributes['axonflow.decision'], name).toBe('deny');
          } else {
            expect(result.error?.code, name).toBe('AXONFLOW_UNCHECKED');
            expect(attributes['axonflow.decision'], name).toBe('error');
            expect(attributes['axonflow.unchecked.reason'], name).toBe('invalid_response');
          }
          expect(hits, name).toBe(1);
          expect(run.out.polluted).toEqual([]);
        }
      });

      it('agent refuses connections → every call proceeds (fail_open:network), results equal the uninstrumented run, one diag warning', async () => {
        const port = await closedPort();
        await withWorld({}, async w => {
          const env = {
            AXONFLOW_AGENT_URL: `http://127.0.0.1:${port}`,
            OTEL_LOG_LEVEL: 'warn',
            CALLS: calls([
              { prompt: 'What is the capital of France?', tag: 1 },
              { sdk: 'anthropic', prompt: 'What is the capital of Italy?', tag: 2 },
              { prompt: 'What is the capital of Spain?', tag: 3, stream: true },
            ]),
          };
          const [run, bare] = await Promise.all([
            w.run('calls.mjs', { env }),
            w.bare('calls.mjs', env),
          ]);
          expect(run.code).toBe(0);
          expect(run.out.results.every((r: CallResult) => r.ok)).toBe(true);
          expect(outcomes(run.out.results)).toEqual(outcomes(bare.out.results));
          for (const [tag, span] of chatSpansByTag(w)) {
            expect(span.attributes, `tag ${tag}`).toMatchObject({
              'axonflow.decision': 'fail_open',
              'axonflow.fail_open': true,
              'axonflow.fail_open.reason': 'network',
              'axonflow.audit.skipped': 'fail_open:network',
            });
          }
          expect(chatSpansByTag(w).size).toBe(3);
          // The audit span says why the call was not audited.
          const audits = w.named('axonflow.audit');
          expect(audits.map(a => a.attributes['axonflow.audit.skipped'])).toEqual([
            'fail_open:network',
            'fail_open:network',
            'fail_open:network',
          ]);
          expect(lines(run, 'AxonFlow unavailable (fail-open)')).toHaveLength(1);
          expect(lines(run, 'AxonFlow unavailable (fail-open)')[0]).toContain('ECONNREFUSED');
        });
      });

      it('agent denies (approved:false), --import and --require → PolicyViolationError reaches the app, the model is never called, the span is ERROR/deny', async () => {
        await withWorld({}, async w => {
          const ssn = 'Store my SSN 123-45-6789 for later';
          const env = {
            CALLS: calls([
              { prompt: ssn, tag: 1 },
              { sdk: 'anthropic', prompt: ssn, tag: 2 },
              { prompt: ssn, tag: 3, stream: true },
              { sdk: 'anthropic', prompt: ssn, tag: 4, stream: true },
            ]),
          };
          const [esm, cjs] = await Promise.all([
            w.run('calls.mjs', { env, flags: IMPORT }),
            w.run('calls.cjs', { env, flags: REQUIRE }),
          ]);
          expect(w.sandbox.modelRequests()).toBe(0);
          const results = [...esm.out.results, ...cjs.out.results];
          for (const result of results) {
            expect(result.ok).toBe(false);
            expect(result.error).toMatchObject({
              name: 'PolicyViolationError',
              code: 'AXONFLOW_POLICY_VIOLATION',
              blockReason: expect.stringMatching(/Social Security Number/),
              policies: expect.arrayContaining([expect.any(String)]),
            });
          }
          const chats = w.spans().filter(s => s.name.startsWith('chat'));
          expect(chats).toHaveLength(results.length);
          for (const chat of chats) {
            expect(chat.status.code).toBe(2);
            expect(chat.attributes['axonflow.decision']).toBe('deny');
            expect(chat.attributes['error.type']).toBe('AXONFLOW_POLICY_VIOLATION');
            const children = childrenOf(w, chat).map(s => s.name);
            expect(children).toContain('axonflow.pre_check');
            expect(children).not.toContain('axonflow.delegate');
          }
        });
      });
    },
  );
