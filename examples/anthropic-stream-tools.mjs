// Anthropic streaming (`stream: true`) with tool use: the tool input streams as JSON pieces, the
// app runs the tool and streams the final answer. Both calls are pre-checked and audited.
//   node --import axonflow-otel/register examples/anthropic-stream-tools.mjs
import Anthropic from '@anthropic-ai/sdk';

const anthropic = new Anthropic();
const model = process.env.EXAMPLE_MODEL ?? 'sandbox-claude';
const tools = [
  {
    name: 'get_weather',
    description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
];
const getWeather = ({ city }) => ({ city, sky: 'cloudy', celsius: 14 });

const messages = [{ role: 'user', content: 'What is the weather in London?' }];
const request = { model, max_tokens: 256, tools, stream: true };
const first = await anthropic.messages.create({ ...request, messages });
// Rebuild the assistant turn from the events: text blocks and tool_use blocks with their input.
const content = [];
for await (const event of first) {
  if (event.type === 'content_block_start')
    content[event.index] = { ...event.content_block, json: '' };
  else if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
    content[event.index].text += event.delta.text;
  else if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
    content[event.index].json += event.delta.partial_json;
}

const assistant = content.map(({ json, ...block }) =>
  block.type === 'tool_use' ? { ...block, input: JSON.parse(json || '{}') } : block,
);
const results = [];
for (const block of assistant.filter(b => b.type === 'tool_use')) {
  console.log(`tool use: ${block.name}(${JSON.stringify(block.input)})`);
  const result = getWeather(block.input);
  results.push({ type: 'tool_result', tool_use_id: block.id, content: JSON.stringify(result) });
}
messages.push({ role: 'assistant', content: assistant }, { role: 'user', content: results });

const second = await anthropic.messages.create({ ...request, messages });
for await (const event of second) {
  if (event.type === 'content_block_delta' && event.delta.type === 'text_delta')
    process.stdout.write(event.delta.text);
}
process.stdout.write('\n');
