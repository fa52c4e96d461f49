// An app as a bundler leaves it: the register entry and OpenTelemetry stay packages (as
// `serverExternalPackages` keeps them in a Next.js server build), while `openai` is inlined into
// the bundle, where no module hook can reach it. `governClient` governs the client anyway.
// Prints one JSON line: what each call returned or threw.
import 'axonflow-otel/register';
import { governClient } from 'axonflow-otel';
import OpenAI from 'openai';

const results = {};

async function ask(name, client, prompt) {
  try {
    const completion = await client.chat.completions.create({
      model: `bundled-${name}`,
      messages: [{ role: 'user', content: prompt }],
    });
    results[name] = { ok: true, content: completion.choices[0].message.content };
  } catch (err) {
    results[name] = { ok: false, code: err?.code, name: err?.name };
  }
}

const plain = new OpenAI({ maxRetries: 0 });
const governed = governClient(new OpenAI({ maxRetries: 0 }));
await ask('plain-denied', plain, 'Store my SSN 123-45-6789');
await ask('governed-allowed', governed, 'What is the capital of France?');
await ask('governed-denied', governed, 'Store my SSN 123-45-6789');
console.log(JSON.stringify(results));
