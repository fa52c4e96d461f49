// The CommonJS twin of calls.mjs, for `node --require axonflow-otel/register`: makes the calls in
// CALLS one after another (`sdk`, `prompt`, `tag`) and prints one JSON line with the outcomes.
const OpenAI = require('openai');
const Anthropic = require('@anthropic-ai/sdk');

const unhandled = [];
process.on('unhandledRejection', err => unhandled.push(String(err?.message ?? err)));

async function run(call) {
  const started = performance.now();
  try {
    let content;
    if (call.sdk === 'anthropic') {
      const message = await new Anthropic().messages.create({
        model: 'sandbox-claude',
        max_tokens: 256,
        top_k: call.tag,
        messages: [{ role: 'user', content: call.prompt }],
      });
      content = message.content[0]?.text;
    } else {
      const completion = await new OpenAI().chat.completions.create({
        model: 'sandbox-gpt',
        seed: call.tag,
        messages: [{ role: 'user', content: call.prompt }],
      });
      content = completion.choices[0].message.content;
    }
    return { tag: call.tag, ms: performance.now() - started, at: Date.now(), ok: true, content };
  } catch (err) {
    return {
      tag: call.tag,
      ms: performance.now() - started,
      at: Date.now(),
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
}

(async () => {
  const results = [];
  for (const call of JSON.parse(process.env.CALLS ?? '[]')) results.push(await run(call));
  console.log(JSON.stringify({ results, unhandled }));
})();
