/**
 * What we record is scrubbed: a provider error that echoes the API key, an agent whose error
 * text echoes the prompt or our credentials, and the resource of every exported span (no command
 * line). Everything on loopback; the real openai SDK through the instrumentation.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { scrub } from '../../src/scrub/index.js';
import { json } from '../helpers/scripted-agent.js';
import { type GateWorld, PRE_CHECK, startGateWorld } from './world.js';

const KEY = 'sk-proj-SCRUBME-4f9a1c7e2b';
const PROMPT_MARKER = 'PROMPT-MARKER-zz81';

let w: GateWorld;
let model: http.Server;
let modelUrl: string;

beforeAll(async () => {
  w = await startGateWorld();
  // A provider that refuses the key and echoes it back, as OpenAI's 401 does.
  model = http.createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      json(res, 401, {
        error: {
          message: `Incorrect API key provided: ${req.headers.authorization}. You can find your API key at …`,
          type: 'invalid_request_error',
          code: 'invalid_api_key',
        },
      }),
    );
  });
  await new Promise<void>(r => model.listen(0, '127.0.0.1', r));
  modelUrl = `http://127.0.0.1:${(model.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await w.close();
  await new Promise<void>(r => model.close(() => r()));
});

beforeEach(() => w.reset());

describe('scrubbing what we record', () => {
  it('a provider 401 that echoes the API key leaves no key in the span status or attributes', async () => {
    w.agent.handle((_req, res) =>
      json(res, 200, { approved: true, context_id: 'c1', policies: [] }),
    );
    w.govern();
    const openai = new OpenAI({ apiKey: KEY, baseURL: modelUrl, maxRetries: 0 });
    const err = (await openai.chat.completions
      .create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })
      .catch(e => e)) as { status?: number };
    expect(err.status).toBe(401);
    const span = w.h.span('chat gpt-4o');
    expect(span.status.message).toMatch(/Incorrect API key provided: Bearer \[REDACTED\]/);
    expect(
      JSON.stringify({ status: span.status, attributes: span.attributes, events: span.events }),
    ).not.toContain('SCRUBME');
  });

  it('agent error text that echoes the prompt or our credentials reaches no log line, notice or span', async () => {
    const logged: string[] = [];
    diag.setLogger(
      {
        error: (...a: unknown[]) => logged.push(a.join(' ')),
        warn: (...a: unknown[]) => logged.push(a.join(' ')),
        info: (...a: unknown[]) => logged.push(a.join(' ')),
        debug: () => {},
        verbose: () => {},
      },
      DiagLogLevel.INFO,
    );
    try {
      w.agent.handle((req, res) =>
        json(res, req.path === PRE_CHECK ? 503 : 500, {
          error: `upstream failed on query ${JSON.parse(req.body).query} with license ${req.headers['x-license-key']}`,
        }),
      );
      w.govern({ licenseKey: 'LICENSE-SCRUBME-77', mode: 'production' });
      const result = await w.chat(`Tell me about ${PROMPT_MARKER}`);
      expect(result).toHaveProperty('choices');
      const recorded = JSON.stringify({
        logged,
        notices: w.notices(),
        spans: w.h.spans().map(s => ({ status: s.status, attributes: s.attributes })),
      });
      expect(recorded).toContain('fail-open');
      expect(recorded).not.toContain(PROMPT_MARKER);
      expect(recorded).not.toContain('LICENSE-SCRUBME');
    } finally {
      diag.disable();
    }
  });

  it.each([
    ['Authorization: Bearer abc.def-123456', 'Authorization: [REDACTED]'],
    ['key sk-ant-api03-AAAABBBBCCCC was refused', 'key sk-[REDACTED] was refused'],
    ['GET /v1?api_key=hunter22secret&x=1', 'GET /v1?api_key=[REDACTED]&x=1'],
    ['{"license_key":"LK-123456789"}', '{"license_key":"[REDACTED]"}'],
    ['line one\nforged: line two', 'line one forged: line two'],
  ])('scrub(%j) → %j', (input, output) => {
    expect(scrub(input)).toBe(output);
  });
});
