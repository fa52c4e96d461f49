// Under the register entry, an app that loads only the cloud Anthropic clients (never
// `@anthropic-ai/sdk` itself, which they load as `@anthropic-ai/sdk/client`): an allowed and a
// denied call through each. Prints one JSON line with the outcomes.
import { AnthropicBedrock } from '@anthropic-ai/bedrock-sdk';
import { AnthropicVertex } from '@anthropic-ai/vertex-sdk';

const baseURL = process.env.SANDBOX_URL;
const clients = {
  bedrock: () =>
    new AnthropicBedrock({ skipAuth: true, baseURL, awsRegion: 'us-east-1', maxRetries: 0 }),
  vertex: () =>
    new AnthropicVertex({
      region: 'us-east5',
      projectId: 'p',
      baseURL,
      maxRetries: 0,
      // Google credentials cannot be fetched offline.
      authClient: {
        getRequestHeaders: async () => new Headers({ authorization: 'Bearer sandbox' }),
        projectId: 'p',
      },
    }),
};
const results = {};
for (const [name, make] of Object.entries(clients)) {
  for (const [kind, prompt] of [
    ['allowed', 'What is the capital of France?'],
    ['denied', 'Store my SSN 123-45-6789'],
  ]) {
    try {
      await make().messages.create({
        model: `cloud-${name}`,
        max_tokens: 32,
        messages: [{ role: 'user', content: prompt }],
      });
      results[`${name} ${kind}`] = 'ok';
    } catch (err) {
      results[`${name} ${kind}`] = err?.code ?? String(err);
    }
  }
}
console.log(JSON.stringify(results));
