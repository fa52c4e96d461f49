// Regenerates the fuzz seed corpus from the sandbox: real-shaped OpenAI chat / Responses and
// Anthropic Messages streams, both AXON dialect streams, and pre-check replies, with ids and
// timestamps replaced by fixed values so that a seed replays the same bytes on every machine.
//   npm run build && node fuzz/corpus/capture.mjs
// Hand-written seeds (files whose name starts with `extra-`) are kept as they are. JSON replies
// are stored as `.body` files: they are fixtures, byte for byte, not files to format.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSandbox } from 'axonflow-otel/sandbox';

const DIR = fileURLToPath(new URL('.', import.meta.url));
const WEATHER_SCHEMA = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
};
const OPENAI_TOOL = {
  type: 'function',
  function: { name: 'get_weather', description: 'Current weather', parameters: WEATHER_SCHEMA },
};

function normalize(text) {
  return text
    .replace(/(chatcmpl-(?:sbx|axon-))[0-9a-f]+/g, '$1000000000000')
    .replace(/((?:msg|resp|call|toolu|fc|rs)_(?:sbx|axon_))[0-9a-f]+/g, '$1000000000000')
    .replace(/"(created|created_at)":\d+/g, '"$1":1700000000')
    .replace(/"trace_id":\d+/g, '"trace_id":123456789')
    .replace(/"latency_ms":\d+/g, '"latency_ms":5')
    .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'ctx-0000')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, '2030-01-01T00:00:00Z');
}

const sandbox = await startSandbox();
async function capture(file, path, body, headers = {}) {
  const res = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = normalize(await res.text());
  mkdirSync(dirname(join(DIR, file)), { recursive: true });
  writeFileSync(join(DIR, file), text);
  process.stdout.write(`${file}: HTTP ${res.status}, ${text.length} chars\n`);
}

const ask = content => [{ role: 'user', content }];
await capture('openai-chat/text.sse', '/v1/chat/completions', {
  model: 'sandbox-gpt',
  stream: true,
  messages: ask('Tell me about tides.'),
});
await capture('openai-chat/tools-usage.sse', '/v1/chat/completions', {
  model: 'sandbox-gpt',
  stream: true,
  stream_options: { include_usage: true },
  messages: ask('What is the weather in Paris?'),
  tools: [OPENAI_TOOL],
});
await capture('openai-chat/reply.body', '/v1/chat/completions', {
  model: 'sandbox-gpt',
  messages: ask('Tell me about tides.'),
});
await capture('openai-responses/text.sse', '/v1/responses', {
  model: 'sandbox-gpt',
  stream: true,
  input: 'Tell me about tides.',
});
await capture('openai-responses/tools.sse', '/v1/responses', {
  model: 'sandbox-gpt',
  stream: true,
  input: 'What is the weather in Paris?',
  tools: [{ type: 'function', name: 'get_weather', parameters: WEATHER_SCHEMA }],
});
await capture('anthropic-messages/text.sse', '/v1/messages', {
  model: 'sandbox-claude',
  max_tokens: 64,
  stream: true,
  messages: ask('Tell me about tides.'),
});
await capture('anthropic-messages/tools.sse', '/v1/messages', {
  model: 'sandbox-claude',
  max_tokens: 64,
  stream: true,
  messages: ask('What is the weather in Paris?'),
  tools: [{ name: 'get_weather', input_schema: WEATHER_SCHEMA }],
});
for (const dialect of ['anthropic', 'openai']) {
  const request = (query, context = {}) => ({
    query,
    user_token: 'fuzz',
    client_id: 'fuzz',
    request_type: 'chat',
    stream: true,
    dialect,
    context,
  });
  await capture(`axon-${dialect}/text.sse`, '/api/request', request('Tell me about tides.'));
  await capture(
    `axon-${dialect}/tools.sse`,
    '/api/request',
    request('What is the weather in Paris?', { tools: [OPENAI_TOOL] }),
  );
  await capture(`axon-${dialect}/flow-error.sse`, '/api/request', request('Tell me a story.'), {
    'x-sandbox-fault': 'flow-error',
  });
}
const preCheck = query => ({ query, user_token: 'fuzz', client_id: 'fuzz', context: {} });
await capture('precheck/approve.body', '/api/policy/pre-check', preCheck('Tell me about tides.'));
await capture(
  'precheck/deny.body',
  '/api/policy/pre-check',
  preCheck('Store my SSN 123-45-6789 for later'),
);
await capture(
  'precheck/flagged.body',
  '/api/policy/pre-check',
  preCheck('Email me at jane.doe@example.com'),
);
await sandbox.close();
