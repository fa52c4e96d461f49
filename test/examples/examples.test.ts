/**
 * Every app in examples/, run as a user would run it: a child `node --import` (ES modules) or
 * `--require` (CommonJS) `axonflow-otel/register`, against its own in-process sandbox, exporting
 * to a loopback OTLP receiver. Asserts the exit code, the output, the span tree and what reached
 * the agent and the model. Each run goes through a recording loopback proxy in front of the
 * sandbox, which sees every agent and model request with its headers.
 *
 * All runs carry recognisable fake credentials, and a second pass runs some examples with debug
 * logging and content capture on: no credential may appear in an exported span, in the output or
 * in an audit record, while the proxy proves each one was in use.
 *
 * Needs the built package (`npm test` builds first).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type AuditRecord, startSandbox } from '../../src/sandbox/index.js';
import { type ChildResult, ROOT, runNode, scaled } from '../helpers/child.js';
import { type ReceivedSpan, startOtlpReceiver } from '../helpers/otlp-receiver.js';

const built = ['dist/esm/index.js', 'dist/esm/register/index.js', 'dist/commonjs/register/index.js']
  .map(p => join(ROOT, p))
  .every(p => existsSync(p));

const CLIENT_ID = 'examples-test';
const SECRETS = {
  OPENAI_API_KEY: 'sk-fake-OPENAI-example-5c1e9a',
  ANTHROPIC_API_KEY: 'sk-ant-fake-ANTHROPIC-example-0b7d42',
  AXONFLOW_CLIENT_SECRET: 'fake-client-secret-EXAMPLE-93ad1f',
  AXONFLOW_LICENSE_KEY: 'fake-license-key-EXAMPLE-4e8c27',
};
const BASIC_AUTH = Buffer.from(`${CLIENT_ID}:${SECRETS.AXONFLOW_CLIENT_SECRET}`).toString('base64');
const FORBIDDEN = [...Object.values(SECRETS), BASIC_AUTH];

const CLIENT = 3;
const INTERNAL = 1;

interface Recorded {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface ExampleRun extends ChildResult {
  spans: ReceivedSpan[];
  audits: AuditRecord[];
  modelRequests: number;
  /** Every request the app made to the agent or the model, in arrival order. */
  requests: Recorded[];
}

/** A loopback reverse proxy to `target` that records each request before forwarding it. */
async function startRecordingProxy(target: string) {
  const requests: Recorded[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      requests.push({
        method: req.method ?? '',
        path,
        headers: req.headers,
        body: body.toString('utf8'),
      });
      const upstream = http.request(
        new URL(path, target),
        { method: req.method, headers: req.headers },
        reply => {
          res.writeHead(reply.statusCode ?? 502, reply.headers);
          reply.pipe(res);
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>(resolve => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Runs one example under the register entry, with a sandbox, proxy and receiver of its own. */
async function runExample(
  file: string,
  extraEnv: Record<string, string> = {},
  args: string[] = [],
): Promise<ExampleRun> {
  const sandbox = await startSandbox();
  const proxy = await startRecordingProxy(sandbox.url);
  const receiver = await startOtlpReceiver();
  try {
    const flag = file.endsWith('.cjs') ? '--require' : '--import';
    const run = await runNode(
      [flag, 'axonflow-otel/register', `examples/${file}`, ...args],
      {
        ...SECRETS,
        AXONFLOW_AGENT_URL: proxy.url,
        AXONFLOW_CLIENT_ID: CLIENT_ID,
        OPENAI_BASE_URL: `${proxy.url}/v1`,
        ANTHROPIC_BASE_URL: proxy.url,
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${receiver.url}/v1/traces`,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        // The exit flush's budget (3 s by default), scaled: the receiver lives in this busy test
        // process, and spans it answers late must not read as undelivered.
        AXONFLOW_EXIT_FLUSH_TIMEOUT_MS: String(scaled(10_000)),
        OTEL_SERVICE_NAME: `example-${file.replace(/\..*$/, '')}`,
        ...extraEnv,
      },
      30_000,
    );
    return {
      ...run,
      spans: receiver.spans,
      audits: sandbox.audits(),
      modelRequests: sandbox.modelRequests(),
      requests: proxy.requests,
    };
  } finally {
    await receiver.close();
    await proxy.close();
    await sandbox.close();
  }
}

/** Runs the tasks with at most `limit` at a time (the machine has 2 cores). */
async function pool<T>(tasks: (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

const EXAMPLES: [file: string, env?: Record<string, string>, args?: string[]][] = [
  ['openai-chat.mjs'],
  ['openai-chat.cjs'],
  ['denied-prompt.mjs'],
  ['openai-stream-tools.mjs'],
  ['anthropic-stream-tools.mjs'],
  ['anthropic-messages-stream.mjs'],
  ['anthropic-chat.cjs'],
  ['per-user-identity.mjs'],
  ['express-server.mjs', { EXAMPLE_SELF_TEST: '1' }],
  ['proxy-stream.mjs'],
];

/** Verbose diagnostics and message capture: the settings most likely to leak a credential. */
const LOUD: Record<string, string> = {
  OTEL_LOG_LEVEL: 'debug',
  AXONFLOW_DEBUG: 'true',
  OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT: 'true',
};
const LOUD_EXAMPLES: [string, Record<string, string>, string[]][] = [
  ['express-server.mjs', LOUD, ['--self-test']],
  ['anthropic-stream-tools.mjs', LOUD, []],
];

const runs = new Map<string, ExampleRun>();
const loudRuns: ExampleRun[] = [];

function result(file: string): ExampleRun {
  const run = runs.get(file);
  if (!run) throw new Error(`${file} did not run`);
  return run;
}

/** The run of `file`, after checking it exited 0 with nothing on stderr (no error, no warning). */
function ok(file: string): ExampleRun {
  const run = result(file);
  expect(run.stderr, `${file} stderr`).toBe('');
  expect(run.code, `${file} exit code`).toBe(0);
  return run;
}

const named = (run: ExampleRun, name: string) => run.spans.filter(s => s.name === name);
const childrenOf = (run: ExampleRun, parent: ReceivedSpan) =>
  run.spans.filter(s => s.parentSpanId === parent.spanId && s.traceId === parent.traceId);
const childNames = (run: ExampleRun, parent: ReceivedSpan) =>
  childrenOf(run, parent)
    .map(s => s.name)
    .sort();
const preChecks = (run: ExampleRun) =>
  run.requests
    .filter(r => r.path === '/api/policy/pre-check')
    .map(r => JSON.parse(r.body) as Record<string, any>);

/**
 * An allowed governed call: the CLIENT span, its decision and its three children. `under` names
 * the span it must sit under (the client's own call span, when the client traces itself); a
 * root span otherwise.
 */
function expectGovernedCall(
  run: ExampleRun,
  chat: ReceivedSpan,
  delegation: string,
  under?: string,
): void {
  expect(chat.kind).toBe(CLIENT);
  if (under === undefined) expect(chat.parentSpanId).toBe('');
  else {
    const parent = run.spans.find(s => s.spanId === chat.parentSpanId);
    expect(parent?.name).toBe(under);
    expect(parent?.kind).toBe(CLIENT);
  }
  expect(chat.attributes['axonflow.decision']).toBe('allow');
  expect(chat.status.code).toBe(0);
  expect(childNames(run, chat)).toEqual(
    ['axonflow.audit', 'axonflow.pre_check', delegation].sort(),
  );
  const [pre] = childrenOf(run, chat).filter(s => s.name === 'axonflow.pre_check');
  expect(pre!.kind).toBe(INTERNAL);
  expect(pre!.attributes['axonflow.decision']).toBe('allow');
  const [audit] = childrenOf(run, chat).filter(s => s.name === 'axonflow.audit');
  expect(audit!.kind).toBe(CLIENT);
  expect(audit!.attributes['axonflow.audit_id']).toBeTruthy();
  expect(audit!.attributes['axonflow.context_id']).toBe(chat.attributes['axonflow.context_id']);
}

describe('the examples folder', () => {
  const files = readdirSync(join(ROOT, 'examples')).filter(f => /\.(mjs|cjs)$/.test(f));
  const index = readFileSync(join(ROOT, 'examples/README.md'), 'utf8');

  it.each(files)('%s is run below, listed in the README and says how to run it', file => {
    expect(EXAMPLES.map(([name]) => name)).toContain(file);
    const flag = file.endsWith('.cjs') ? '--require' : '--import';
    const command = `node ${flag} axonflow-otel/register examples/${file}`;
    expect(readFileSync(join(ROOT, 'examples', file), 'utf8')).toContain(command);
    expect(index).toContain(`[\`${file}\`](${file})`);
  });
});

describe.skipIf(!built)('examples under the register entry', () => {
  beforeAll(async () => {
    await pool(
      [
        ...EXAMPLES.map(([file, env, args]) => async () => {
          runs.set(file, await runExample(file, env, args));
        }),
        ...LOUD_EXAMPLES.map(([file, env, args]) => async () => {
          loudRuns.push(await runExample(file, env, args));
        }),
      ],
      4,
    );
  }, 120_000);

  it.each(['openai-chat.mjs', 'openai-chat.cjs'])(
    '%s: one allowed chat call, traced and audited',
    file => {
      const run = ok(file);
      expect(run.stdout).toMatch(
        /^Sandbox reply to "What is the capital of France\?" \(#\w+\)\.\n$/,
      );
      const [chat, ...others] = named(run, 'chat sandbox-gpt');
      expect(others).toHaveLength(0);
      expect(chat!.attributes['gen_ai.provider.name']).toBe('openai');
      expect(chat!.resource['service.name']).toBe(`example-${file.replace(/\..*$/, '')}`);
      expectGovernedCall(run, chat!, 'axonflow.delegate');
      expect(run.modelRequests).toBe(1);
      expect(run.audits).toHaveLength(1);
      expect(run.audits[0]).toMatchObject({ provider: 'openai', client_id: CLIENT_ID });
    },
  );

  it('denied-prompt.mjs: the deny reaches the app as PolicyViolationError; no model call', () => {
    const run = ok('denied-prompt.mjs');
    expect(run.stdout).toMatch(
      /^blocked: Social Security Number detected[^\n]* \(policies: ssn_detection\)\n$/,
    );
    expect(run.modelRequests).toBe(0);
    expect(run.audits).toHaveLength(0);
    const [chat] = named(run, 'chat sandbox-gpt');
    expect(chat!.kind).toBe(CLIENT);
    expect(chat!.status.code).toBe(2);
    expect(chat!.attributes).toMatchObject({
      'axonflow.decision': 'deny',
      'error.type': 'AXONFLOW_POLICY_VIOLATION',
    });
    expect(childNames(run, chat!)).toEqual(['axonflow.pre_check']);
    const [pre] = childrenOf(run, chat!);
    expect(pre!.attributes).toMatchObject({
      'axonflow.decision': 'deny',
      'axonflow.policies': ['ssn_detection'],
      'axonflow.block_reason': expect.stringMatching(/^Social Security Number detected/),
    });
  });

  it('openai-stream-tools.mjs: a streamed tool call, the tool result, a streamed answer', () => {
    const run = ok('openai-stream-tools.mjs');
    expect(run.stdout).toBe(
      'tool call: get_weather({"city":"Paris"})\n' +
        'The get_weather tool returned: {"city":"Paris","sky":"sunny","celsius":21}\n',
    );
    const chats = named(run, 'chat sandbox-gpt');
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      expectGovernedCall(run, chat, 'axonflow.delegate');
      expect(chat.attributes['gen_ai.request.stream']).toBe(true);
      expect(chat.attributes['gen_ai.response.time_to_first_chunk']).toBeGreaterThan(0);
    }
    expect(chats.map(c => c.attributes['gen_ai.response.finish_reasons']).sort()).toEqual([
      ['stop'],
      ['tool_calls'],
    ]);
    // Two separate calls: two pre-checks, the second one carrying the tool result.
    const queries = preChecks(run).map(p => String(p.query));
    expect(queries).toHaveLength(2);
    expect(queries[1]).toContain('sunny');
    expect(run.modelRequests).toBe(2);
    expect(run.audits.map(a => a.metadata.streamed)).toEqual([true, true]);
  });

  it('anthropic-stream-tools.mjs: stream: true with tool use, under the SDK own call span', () => {
    const run = ok('anthropic-stream-tools.mjs');
    expect(run.stdout).toBe(
      'tool use: get_weather({"city":"London"})\n' +
        'The get_weather tool returned: {"city":"London","sky":"cloudy","celsius":14}\n',
    );
    const chats = named(run, 'chat sandbox-claude');
    expect(chats).toHaveLength(2);
    for (const chat of chats) {
      // The Anthropic SDK traces its own API call: ours sits under its span.
      expectGovernedCall(run, chat, 'axonflow.delegate', 'anthropic.messages.create');
      expect(chat.attributes['gen_ai.provider.name']).toBe('anthropic');
      expect(chat.attributes['gen_ai.request.stream']).toBe(true);
    }
    expect(named(run, 'axonflow.delegate')).toHaveLength(2);
    expect(chats.map(c => c.attributes['gen_ai.response.finish_reasons']).sort()).toEqual([
      ['end_turn'],
      ['tool_use'],
    ]);
    expect(run.modelRequests).toBe(2);
    expect(run.audits).toHaveLength(2);
    expect(run.audits.every(a => a.provider === 'anthropic')).toBe(true);
  });

  it('anthropic-messages-stream.mjs: the stream() helper and finalMessage()', () => {
    const run = ok('anthropic-messages-stream.mjs');
    const [text, usage] = run.stdout.split('\n');
    expect(text).toMatch(
      /^Sandbox reply to "Name one museum worth visiting in Madrid\." \(#\w+\)\.$/,
    );
    const match = /^stop_reason=end_turn input_tokens=(\d+) output_tokens=(\d+)$/.exec(usage!);
    expect(match).not.toBeNull();
    const [chat, ...others] = named(run, 'chat sandbox-claude');
    expect(others).toHaveLength(0);
    expect(chat!.kind).toBe(CLIENT);
    expect(chat!.attributes).toMatchObject({
      'axonflow.decision': 'allow',
      'gen_ai.request.stream': true,
      'gen_ai.response.finish_reasons': ['end_turn'],
    });
    expect(childNames(run, chat!)).toEqual(
      expect.arrayContaining(['axonflow.audit', 'axonflow.pre_check']),
    );
    // The SDK traces this call itself: its span carries the usage, ours does not (one usage-bearing
    // span per call).
    const sdkSpans = named(run, 'anthropic.messages.create');
    expect(sdkSpans).toHaveLength(1);
    expect(sdkSpans[0]!.attributes).toMatchObject({
      'gen_ai.usage.input_tokens': Number(match![1]),
      'gen_ai.usage.output_tokens': Number(match![2]),
    });
    expect(chat!.attributes).not.toHaveProperty('gen_ai.usage.input_tokens');
    // The system prompt is part of what the policies see.
    expect(preChecks(run)[0]!.query).toContain('concise travel guide');
    expect(run.modelRequests).toBe(1);
    expect(run.audits).toHaveLength(1);
  });

  it('anthropic-chat.cjs: the CommonJS build patches @anthropic-ai/sdk', () => {
    const run = ok('anthropic-chat.cjs');
    expect(run.stdout).toMatch(/^Sandbox reply to "What is the capital of Italy\?" \(#\w+\)\.\n$/);
    const [chat] = named(run, 'chat sandbox-claude');
    expectGovernedCall(run, chat!, 'axonflow.delegate', 'anthropic.messages.create');
    expect(run.audits).toHaveLength(1);
  });

  it('per-user-identity.mjs: each call is pre-checked as its own user; a deny stays local', () => {
    const run = ok('per-user-identity.mjs');
    expect(run.stdout.split('\n')).toEqual([
      expect.stringMatching(/^user-alice: Sandbox reply to "Summarise the Q3 pipeline/),
      expect.stringMatching(/^user-bob: Sandbox reply to "Draft a polite reply/),
      expect.stringMatching(/^user-carol: blocked: Credit card numbers detected/),
      '',
    ]);
    const byUser = Object.fromEntries(preChecks(run).map(p => [p.user_token, p]));
    expect(Object.keys(byUser).sort()).toEqual(['user-alice', 'user-bob', 'user-carol']);
    expect(byUser['user-alice']!.query).toContain('Q3 pipeline');
    expect(byUser['user-alice']!.context).toMatchObject({ team: 'sales', provider: 'openai' });
    expect(byUser['user-bob']!.query).toContain('ticket 4521');
    expect(byUser['user-bob']!.context.team).toBe('support');
    expect(byUser['user-carol']!.query).toContain('Refund card');
    expect(byUser['user-carol']!.context.team).toBe('billing');

    const decisions = named(run, 'chat sandbox-gpt')
      .map(s => s.attributes['axonflow.decision'])
      .sort();
    expect(decisions).toEqual(['allow', 'allow', 'deny']);
    // Three concurrent calls, three separate traces.
    expect(new Set(named(run, 'chat sandbox-gpt').map(s => s.traceId)).size).toBe(3);
    expect(run.modelRequests).toBe(2);
    expect(run.audits).toHaveLength(2);
  });

  it('express-server.mjs: POST /ask governed per x-user; a deny is a 403 with the reason', () => {
    const run = ok('express-server.mjs');
    const lines = run.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+$/);
    const allowed = /^user-alice -> 200 (.*)$/.exec(lines[1]!);
    expect(JSON.parse(allowed![1]!)).toEqual({
      answer: expect.stringMatching(/^Sandbox reply to "What is the capital of France\?"/),
    });
    const denied = /^user-bob -> 403 (.*)$/.exec(lines[2]!);
    expect(JSON.parse(denied![1]!)).toEqual({
      error: 'blocked',
      reason: expect.stringMatching(/^Social Security Number detected/),
      policies: ['ssn_detection'],
    });
    expect(lines).toHaveLength(3);
    expect(preChecks(run).map(p => p.user_token)).toEqual(['user-alice', 'user-bob']);
    const chats = named(run, 'chat sandbox-gpt');
    expect(chats.map(s => s.attributes['axonflow.decision']).sort()).toEqual(['allow', 'deny']);
    expectGovernedCall(
      run,
      chats.find(s => s.attributes['axonflow.decision'] === 'allow')!,
      'axonflow.delegate',
    );
    expect(run.modelRequests).toBe(1);
    expect(run.audits).toHaveLength(1);
  });

  it('proxy-stream.mjs: a streamed proxy answer with metadata, then a denied query', () => {
    const run = ok('proxy-stream.mjs');
    expect(run.stdout.split('\n')).toEqual([
      expect.stringMatching(/^Sandbox reply to "Explain in one sentence why the sky is blue\." /),
      expect.stringMatching(/^\[sandbox-claude: [1-9]\d* in, [1-9]\d* out, stop\]$/),
      expect.stringMatching(/^blocked: Social Security Number detected/),
      '',
    ]);
    const proxied = run.requests.filter(r => r.path === '/api/request');
    expect(proxied).toHaveLength(2);
    for (const r of proxied) {
      expect(JSON.parse(r.body)).toMatchObject({ stream: true, request_type: 'chat' });
    }
    // The agent ran the model; the app itself never called a provider.
    expect(run.modelRequests).toBe(0);
    expect(run.requests.filter(r => r.path.startsWith('/v1/'))).toHaveLength(0);
  });

  it('leaks no credential into spans, output or audit records, even with debug logs on', () => {
    const all = [...runs.values(), ...loudRuns];
    expect(all).toHaveLength(EXAMPLES.length + LOUD_EXAMPLES.length);
    for (const run of loudRuns) expect(run.code, run.stderr).toBe(0);
    // The loud runs did log and did capture content, so there was something to leak into.
    expect(loudRuns.some(r => /axonflow|OTLP|export/i.test(r.stdout + r.stderr))).toBe(true);
    expect(
      loudRuns.some(r => r.spans.some(s => s.attributes['gen_ai.input.messages'] !== undefined)),
    ).toBe(true);

    for (const run of all) {
      const exported = JSON.stringify(run.spans.map(s => [s.attributes, s.resource, s.status]));
      const audits = JSON.stringify(run.audits);
      for (const secret of FORBIDDEN) {
        expect(exported).not.toContain(secret);
        expect(run.stdout).not.toContain(secret);
        expect(run.stderr).not.toContain(secret);
        expect(audits).not.toContain(secret);
      }
    }

    // Positive control: every credential was configured and sent where it belongs, and only there.
    const requests = all.flatMap(r => r.requests);
    const agent = requests.filter(r => r.path.startsWith('/api/'));
    expect(agent.length).toBeGreaterThan(0);
    for (const r of agent) {
      expect(r.headers.authorization).toBe(`Basic ${BASIC_AUTH}`);
      expect(r.headers['x-license-key']).toBe(SECRETS.AXONFLOW_LICENSE_KEY);
    }
    const openai = requests.filter(r => r.path.startsWith('/v1/chat/'));
    const anthropic = requests.filter(r => r.path.startsWith('/v1/messages'));
    expect(openai.length).toBeGreaterThan(0);
    expect(anthropic.length).toBeGreaterThan(0);
    for (const r of openai)
      expect(r.headers.authorization).toBe(`Bearer ${SECRETS.OPENAI_API_KEY}`);
    for (const r of anthropic) {
      // @anthropic-ai/sdk 1.x sends the key as a bearer token, 0.x as `x-api-key`.
      const sent =
        r.headers['x-api-key'] ?? String(r.headers.authorization).replace(/^Bearer /, '');
      expect(sent).toBe(SECRETS.ANTHROPIC_API_KEY);
    }
    for (const r of requests) {
      for (const secret of FORBIDDEN) expect(r.body, `${r.method} ${r.path}`).not.toContain(secret);
    }
  });
});
