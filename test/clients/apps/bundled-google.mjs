// An app as a bundler leaves it: the register entry and OpenTelemetry stay packages, while
// `@google/genai` is inlined into the bundle, where no module hook can reach it. `governClient`
// governs the one client it is given; the other stays as the bundle left it. The model is the
// sandbox (`SANDBOX_URL`). Prints one JSON line: what each call returned or threw.
import 'axonflow-otel/register';
import { GoogleGenAI } from '@google/genai';
import { governClient } from 'axonflow-otel';

const results = {};

async function ask(name, ai, prompt, stream = false) {
  try {
    const params = { model: `bundled-${name}`, contents: prompt };
    let text = '';
    if (stream) {
      for await (const chunk of await ai.models.generateContentStream(params)) {
        text += chunk.text ?? '';
      }
    } else {
      text = (await ai.models.generateContent(params)).text;
    }
    results[name] = { ok: true, text };
  } catch (err) {
    results[name] = { ok: false, code: err?.code, name: err?.name };
  }
}

const make = () =>
  new GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: process.env.SANDBOX_URL } });
const plain = make();
const governed = governClient(make());
await ask('plain-denied', plain, 'Store my SSN 123-45-6789');
await ask('governed-allowed', governed, 'What is the capital of France?');
await ask('governed-streamed', governed, 'Count to three', true);
await ask('governed-denied', governed, 'Store my SSN 123-45-6789');
console.log(JSON.stringify(results));
