// One allowed OpenAI chat call, unchanged app code: run it under the register entry.
//   node --import axonflow-otel/register examples/openai-chat.mjs
// Against the sandbox: OPENAI_BASE_URL=<sandbox>/v1 OPENAI_API_KEY=any AXONFLOW_AGENT_URL=<sandbox>
import OpenAI from 'openai';

const openai = new OpenAI();
const completion = await openai.chat.completions.create({
  model: process.env.EXAMPLE_MODEL ?? 'sandbox-gpt',
  messages: [{ role: 'user', content: 'What is the capital of France?' }],
});
console.log(completion.choices[0].message.content);
