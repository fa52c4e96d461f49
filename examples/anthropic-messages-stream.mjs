// The Anthropic `messages.stream()` helper: print text as it arrives, then read the assembled
// message with `finalMessage()`. The helper calls `messages.create` underneath, so the call is
// pre-checked, traced and audited like any other; a denied prompt rejects `finalMessage()`.
//   node --import axonflow-otel/register examples/anthropic-messages-stream.mjs
import Anthropic from '@anthropic-ai/sdk';

const anthropic = new Anthropic();

const stream = anthropic.messages.stream({
  model: process.env.EXAMPLE_MODEL ?? 'sandbox-claude',
  max_tokens: 256,
  system: 'You are a concise travel guide.',
  messages: [{ role: 'user', content: 'Name one museum worth visiting in Madrid.' }],
});
stream.on('text', text => process.stdout.write(text));

const message = await stream.finalMessage();
process.stdout.write('\n');
console.log(
  `stop_reason=${message.stop_reason} input_tokens=${message.usage.input_tokens} output_tokens=${message.usage.output_tokens}`,
);
