// OpenAI streaming with tools: the model streams a tool call, the app runs the tool, and the
// answer streams back. Two governed calls, each pre-checked before anything reaches the model.
//   node --import axonflow-otel/register examples/openai-stream-tools.mjs
import OpenAI from 'openai';

const openai = new OpenAI();
const model = process.env.EXAMPLE_MODEL ?? 'sandbox-gpt';
const tools = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: 'Current weather for a city',
      parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
    },
  },
];
const getWeather = ({ city }) => ({ city, sky: 'sunny', celsius: 21 });

const messages = [{ role: 'user', content: 'What is the weather in Paris?' }];
const first = await openai.chat.completions.create({ model, messages, tools, stream: true });
// Tool call arguments arrive in pieces: collect them per call index.
const calls = [];
for await (const chunk of first) {
  for (const delta of chunk.choices[0]?.delta?.tool_calls ?? []) {
    calls[delta.index] ??= { id: '', type: 'function', function: { name: '', arguments: '' } };
    const call = calls[delta.index];
    call.id ||= delta.id ?? '';
    call.function.name += delta.function?.name ?? '';
    call.function.arguments += delta.function?.arguments ?? '';
  }
}

messages.push({ role: 'assistant', tool_calls: calls });
for (const call of calls) {
  console.log(`tool call: ${call.function.name}(${call.function.arguments})`);
  const result = getWeather(JSON.parse(call.function.arguments));
  messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) });
}

const second = await openai.chat.completions.create({ model, messages, tools, stream: true });
for await (const chunk of second) process.stdout.write(chunk.choices[0]?.delta?.content ?? '');
process.stdout.write('\n');
