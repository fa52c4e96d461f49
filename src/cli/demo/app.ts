/**
 * The demo's app: ordinary OpenAI, Anthropic and Google Gen AI SDK code, run by
 * `axonflow-otel demo` under the register entry against the sandbox. It makes the six calls the
 * demo narrates and asks its parent (over the IPC channel) to stop and restart the agent around
 * the fail-open call.
 */
import Anthropic from '@anthropic-ai/sdk';
import { GoogleGenAI } from '@google/genai';
import OpenAI from 'openai';
import { withAxonFlowContext } from '../../pipeline/call-context.js';

type Control = 'stop-agent' | 'start-agent';

function control(action: Control): Promise<void> {
  return new Promise(resolve => {
    if (!process.send) return resolve();
    process.once('message', () => resolve());
    process.send({ action });
  });
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

const openai = new OpenAI({ maxRetries: 0 });
const anthropic = new Anthropic({ maxRetries: 0 });
const model = 'sandbox-gpt';
const question = 'What is the capital of France?';

async function main(): Promise<void> {
  say('1. An allowed OpenAI chat call (user "alice")');
  const first = await withAxonFlowContext({ userToken: 'alice' }, () =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: question }] }),
  );
  say(`   → ${first.choices[0]?.message.content}`);

  say('2. A streamed Anthropic call with a tool use');
  const stream = await anthropic.messages.create({
    model: 'sandbox-claude',
    max_tokens: 256,
    stream: true,
    tools: [
      {
        name: 'get_weather',
        description: 'Current weather for a city',
        input_schema: {
          type: 'object',
          properties: { city: { type: 'string' } },
          required: ['city'],
        },
      },
    ],
    messages: [{ role: 'user', content: 'What is the weather in Paris? Use get_weather.' }],
  });
  let toolInput = '';
  let toolName = '';
  for await (const event of stream) {
    if (event.type === 'content_block_start' && event.content_block.type === 'tool_use')
      toolName = event.content_block.name;
    if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta')
      toolInput += event.delta.partial_json;
  }
  say(`   → tool call ${toolName}(${toolInput})`);

  say('3. A prompt with a Social Security Number: denied, the model is never called');
  try {
    await openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'My SSN is 123-45-6789' }],
    });
    say('   → unexpected: the call went through');
  } catch (err) {
    const e = err as { code?: string; blockReason?: string };
    if (e.code !== 'AXONFLOW_POLICY_VIOLATION') throw err;
    say(`   → PolicyViolationError: ${e.blockReason}`);
  }

  say('4. The first question again (user "alice"): the decision comes from the cache');
  await withAxonFlowContext({ userToken: 'alice' }, () =>
    openai.chat.completions.create({ model, messages: [{ role: 'user', content: question }] }),
  );
  say('   → answered');

  say('5. A Gemini call through @google/genai: the same governance for another client');
  const gemini = new GoogleGenAI({
    apiKey: 'demo-not-a-real-key',
    httpOptions: { baseUrl: process.env.GEMINI_BASE_URL ?? '' },
  });
  const answer = await gemini.models.generateContent({
    model: 'sandbox-gemini',
    contents: 'Name one museum in Madrid.',
  });
  say(`   → ${answer.text}`);

  say('6. The agent is stopped: the call fails open and still works');
  await control('stop-agent');
  const open = await openai.chat.completions.create({
    model,
    messages: [{ role: 'user', content: 'Is the governance agent reachable?' }],
  });
  await control('start-agent');
  say(`   → ${open.choices[0]?.message.content?.slice(0, 60)}…`);
}

main().catch(err => {
  process.stderr.write(`demo app failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
