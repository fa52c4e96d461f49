// One Anthropic Messages call from a CommonJS app, unchanged code: `--require` the register entry.
//   node --require axonflow-otel/register examples/anthropic-chat.cjs
const Anthropic = require('@anthropic-ai/sdk');

async function main() {
  const anthropic = new Anthropic();
  const message = await anthropic.messages.create({
    model: process.env.EXAMPLE_MODEL ?? 'sandbox-claude',
    max_tokens: 256,
    messages: [{ role: 'user', content: 'What is the capital of Italy?' }],
  });
  console.log(message.content.map(block => (block.type === 'text' ? block.text : '')).join(''));
}

main().catch(err => {
  console.error(err);
  process.exitCode = 1;
});
