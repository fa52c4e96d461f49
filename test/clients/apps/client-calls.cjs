// The governed calls of the Bedrock Runtime, Google Gen AI, Mistral and Cohere clients, as data: for each client,
// the calls to make against the sandbox (each allowed, then denied) and the span each produces.
// Shared by the CommonJS and ES module apps (`clients.cjs`, `clients.mjs`), which differ only in
// how they load the SDK.

const ALLOWED = 'What is the capital of France?';
const DENIED = 'Please store my SSN 123-45-6789';

async function drain(stream) {
  for await (const _ of stream) {
    // read to the end
  }
}

const claude = prompt =>
  JSON.stringify({
    anthropic_version: 'bedrock-2023-05-31',
    max_tokens: 32,
    messages: [{ role: 'user', content: prompt }],
  });
const nova = prompt => [{ role: 'user', content: [{ text: prompt }] }];
const say = prompt => [{ role: 'user', content: prompt }];

const CALLS = {
  bedrock: {
    client: (sdk, url) =>
      new sdk.BedrockRuntimeClient({
        region: 'us-east-1',
        endpoint: url,
        // Explicit credentials: the credential provider chain (and its metadata endpoints) never runs.
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
      }),
    calls: [
      {
        name: 'Converse',
        span: 'chat amazon.nova-lite-v1:0',
        call: (sdk, c, p) =>
          c.send(new sdk.ConverseCommand({ modelId: 'amazon.nova-lite-v1:0', messages: nova(p) })),
      },
      {
        name: 'ConverseStream',
        span: 'chat amazon.nova-lite-v1:0',
        call: async (sdk, c, p) => {
          const out = await c.send(
            new sdk.ConverseStreamCommand({ modelId: 'amazon.nova-lite-v1:0', messages: nova(p) }),
          );
          await drain(out.stream);
        },
      },
      {
        name: 'InvokeModel',
        span: 'chat anthropic.claude-3-5-haiku-20241022-v1:0',
        call: (sdk, c, p) =>
          c.send(
            new sdk.InvokeModelCommand({
              modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
              body: claude(p),
            }),
          ),
      },
      {
        name: 'InvokeModelWithResponseStream',
        span: 'chat anthropic.claude-3-5-haiku-20241022-v1:0',
        call: async (sdk, c, p) => {
          const out = await c.send(
            new sdk.InvokeModelWithResponseStreamCommand({
              modelId: 'anthropic.claude-3-5-haiku-20241022-v1:0',
              body: claude(p),
            }),
          );
          await drain(out.body);
        },
      },
    ],
  },
  mistral: {
    client: (sdk, url) => new sdk.Mistral({ apiKey: 'k', serverURL: url }),
    calls: [
      {
        name: 'chat.complete',
        span: 'chat mistral-small-latest',
        call: (_sdk, c, p) => c.chat.complete({ model: 'mistral-small-latest', messages: say(p) }),
      },
      {
        name: 'chat.stream',
        span: 'chat mistral-small-latest',
        call: async (_sdk, c, p) =>
          drain(await c.chat.stream({ model: 'mistral-small-latest', messages: say(p) })),
      },
      {
        name: 'embeddings.create',
        span: 'embeddings mistral-embed',
        call: (_sdk, c, p) => c.embeddings.create({ model: 'mistral-embed', inputs: [p] }),
      },
    ],
  },
  google: {
    client: (sdk, url) => new sdk.GoogleGenAI({ apiKey: 'k', httpOptions: { baseUrl: url } }),
    calls: [
      {
        name: 'models.generateContent',
        span: 'generate_content gemini-2.5-flash',
        call: (_sdk, c, p) => c.models.generateContent({ model: 'gemini-2.5-flash', contents: p }),
      },
      {
        name: 'models.generateContentStream',
        span: 'generate_content gemini-2.5-flash',
        call: async (_sdk, c, p) =>
          drain(await c.models.generateContentStream({ model: 'gemini-2.5-flash', contents: p })),
      },
      {
        name: 'chats.sendMessage',
        span: 'generate_content gemini-2.5-flash',
        call: (_sdk, c, p) =>
          c.chats.create({ model: 'gemini-2.5-flash' }).sendMessage({ message: p }),
      },
      {
        name: 'models.embedContent',
        span: 'embeddings text-embedding-004',
        call: (_sdk, c, p) => c.models.embedContent({ model: 'text-embedding-004', contents: p }),
      },
    ],
  },
  cohere: {
    client: (sdk, url) => new sdk.CohereClientV2({ token: 'k', environment: url, maxRetries: 0 }),
    calls: [
      {
        name: 'chat',
        span: 'chat command-a-03-2025',
        call: (_sdk, c, p) => c.chat({ model: 'command-a-03-2025', messages: say(p) }),
      },
      {
        name: 'chatStream',
        span: 'chat command-a-03-2025',
        call: async (_sdk, c, p) =>
          drain(await c.chatStream({ model: 'command-a-03-2025', messages: say(p) })),
      },
      {
        name: 'embed',
        span: 'embeddings embed-v4.0',
        call: (_sdk, c, p) =>
          c.embed({ model: 'embed-v4.0', texts: [p], inputType: 'search_document' }),
      },
    ],
  },
};

/** The calls of `name`, for the test's expectations. */
function callsOf(name) {
  return CALLS[name].calls.map(({ name: call, span }) => ({ name: call, span }));
}

/** Makes every call of `name`, allowed then denied; what each did. */
async function runCalls(name, sdk, url) {
  const entry = CALLS[name];
  const client = entry.client(sdk, url);
  const results = [];
  for (const { name: call, call: make } of entry.calls) {
    for (const [kind, prompt] of [
      ['allowed', ALLOWED],
      ['denied', DENIED],
    ]) {
      try {
        await make(sdk, client, prompt);
        results.push({ call, kind, ok: true });
      } catch (err) {
        results.push({ call, kind, ok: false, code: err?.code ?? err?.cause?.code ?? String(err) });
      }
    }
  }
  return results;
}

module.exports = { callsOf, runCalls };
