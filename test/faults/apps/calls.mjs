// Makes the chat calls described by the CALLS environment variable (JSON) with the openai and
// @anthropic-ai/sdk clients, then prints one JSON line: what each call returned or threw, how
// long it took, and whether anything leaked into Object.prototype or went unhandled.
//
// CALLS is a list of steps. A step is a call, `{ "sleep": ms }`, or a list of calls made
// concurrently. A call: { sdk?: "openai" | "anthropic", prompt, system?, history?: [text],
// tag?: number, stream?: boolean, user?: string, tenant?: string, model? }. `tag` goes out as
// `seed` (OpenAI) or `top_k` (Anthropic), so the call can be found among the exported spans.
// With INSPECT_CACHE=1 the keys and values stored in any LRU cache are reported too. The line
// also says how many decisions the register entry's client holds at the end.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));

const cacheWrites = [];
if (process.env.INSPECT_CACHE === '1') {
  const { LRUCache } = await import('lru-cache');
  const set = LRUCache.prototype.set;
  LRUCache.prototype.set = function (key, value, options) {
    cacheWrites.push({ key, value: JSON.stringify(value) });
    return set.call(this, key, value, options);
  };
}

const identity = process.env.CALLS?.includes('"user"') || process.env.CALLS?.includes('"tenant"');
const { withAxonFlowContext } = identity ? await import('axonflow-otel') : {};

const openai = new OpenAI();
const anthropic = new Anthropic();

function messages(call) {
  const turns = [];
  for (const text of call.history ?? []) {
    turns.push({ role: 'user', content: text }, { role: 'assistant', content: 'Noted.' });
  }
  turns.push({ role: 'user', content: call.prompt });
  return turns;
}

async function openaiCall(call) {
  const body = { model: call.model ?? 'sandbox-gpt', messages: messages(call) };
  if (call.system) body.messages.unshift({ role: 'system', content: call.system });
  if (call.tag !== undefined) body.seed = call.tag;
  if (call.stream) {
    const stream = await openai.chat.completions.create({ ...body, stream: true });
    let content = '';
    for await (const chunk of stream) content += chunk.choices[0]?.delta?.content ?? '';
    return { content };
  }
  const completion = await openai.chat.completions.create(body);
  const choice = completion.choices[0];
  return { content: choice.message.content, finish: choice.finish_reason, usage: completion.usage };
}

async function anthropicCall(call) {
  const body = { model: call.model ?? 'sandbox-claude', max_tokens: 256, messages: messages(call) };
  if (call.system) body.system = call.system;
  if (call.tag !== undefined) body.top_k = call.tag;
  if (call.stream) {
    const stream = await anthropic.messages.create({ ...body, stream: true });
    let content = '';
    for await (const event of stream) {
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
        content += event.delta.text;
      }
    }
    return { content };
  }
  const message = await anthropic.messages.create(body);
  return { content: message.content[0]?.text, finish: message.stop_reason, usage: message.usage };
}

async function run(call) {
  const started = performance.now();
  const invoke = () => (call.sdk === 'anthropic' ? anthropicCall(call) : openaiCall(call));
  const scoped =
    call.user || call.tenant
      ? () =>
          withAxonFlowContext(
            { userToken: call.user, context: call.tenant ? { tenant: call.tenant } : {} },
            invoke,
          )
      : invoke;
  let outcome;
  try {
    outcome = { ok: true, ...(await scoped()) };
  } catch (err) {
    outcome = {
      ok: false,
      error: {
        name: err?.constructor?.name,
        code: err?.code,
        status: err?.status,
        message: String(err?.message),
        blockReason: err?.blockReason,
        policies: err?.policies,
      },
    };
  }
  return { tag: call.tag, ms: performance.now() - started, at: Date.now(), ...outcome };
}

const results = [];
for (const step of JSON.parse(process.env.CALLS ?? '[]')) {
  if (Array.isArray(step)) results.push(...(await Promise.all(step.map(run))));
  else if (step.sleep !== undefined) await new Promise(r => setTimeout(r, step.sleep));
  else results.push(await run(step));
}

const polluted = ['approved', 'context_id', 'polluted'].filter(k => k in {});
// The register entry's handle, when it started: how many decisions its client holds.
const cacheSize =
  globalThis[Symbol.for('axonflow-otel.register.started')]?.handle?.client?.cacheSize;
console.log(JSON.stringify({ results, polluted, unhandled, cacheWrites, cacheSize }));
