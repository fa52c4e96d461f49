// The CommonJS variant of openai-chat.mjs:
//   node --require axonflow-otel/register examples/openai-chat.cjs
const { OpenAI } = require('openai');

async function main() {
  const openai = new OpenAI();
  const completion = await openai.chat.completions.create({
    model: process.env.EXAMPLE_MODEL ?? 'sandbox-gpt',
    messages: [{ role: 'user', content: 'What is the capital of France?' }],
  });
  console.log(completion.choices[0].message.content);
}

main();
