// Hands both SDKs request objects our instrumentation cannot read: a Proxy that throws on every
// read, messages that throw, circular params, no messages at all, no params at all. Prints one
// JSON line: for each case whether the SDK threw synchronously or rejected, and with what.
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';

const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));
const uncaught = [];
process.on('uncaughtException', err => uncaught.push(String(err?.message ?? err)));

const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 });

const throwing = () =>
  new Proxy(
    {},
    {
      get() {
        throw new Error('hostile read');
      },
      has() {
        throw new Error('hostile has');
      },
      ownKeys() {
        throw new Error('hostile keys');
      },
    },
  );

function circular(base) {
  const params = { ...base, messages: [{ role: 'user', content: 'Circular question?' }] };
  params.metadata = { self: params };
  params.messages[0].self = params.messages[0];
  return params;
}

const gpt = { model: 'sandbox-gpt' };
const claude = { model: 'sandbox-claude', max_tokens: 64 };
const cases = {
  'openai proxy params': () => openai.chat.completions.create(throwing()),
  'openai proxy messages': () => openai.chat.completions.create({ ...gpt, messages: throwing() }),
  'openai circular params': () => openai.chat.completions.create(circular(gpt)),
  'openai messages undefined': () => openai.chat.completions.create({ ...gpt }),
  'openai no params': () => openai.chat.completions.create(),
  'anthropic proxy params': () => anthropic.messages.create(throwing()),
  'anthropic proxy messages': () => anthropic.messages.create({ ...claude, messages: throwing() }),
  'anthropic circular params': () => anthropic.messages.create(circular(claude)),
  'anthropic messages undefined': () => anthropic.messages.create({ ...claude }),
  'anthropic no params': () => anthropic.messages.create(),
};

const describe = err => ({
  name: err?.constructor?.name,
  status: err?.status,
  message: String(err?.message).slice(0, 120),
});

const results = {};
for (const [name, make] of Object.entries(cases)) {
  let promise;
  try {
    promise = make();
  } catch (err) {
    results[name] = { threw: describe(err) };
    continue;
  }
  try {
    const value = await promise;
    results[name] = { resolved: typeof value };
  } catch (err) {
    results[name] = { rejected: describe(err) };
  }
}
await new Promise(r => setTimeout(r, 100));
console.log(JSON.stringify({ results, unhandled, uncaught }));
