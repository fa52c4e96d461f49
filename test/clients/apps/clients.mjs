// Under `--import axonflow-otel/register`: the ES module twin of `clients.cjs`.
import { createRequire } from 'node:module';

const { runCalls } = createRequire(import.meta.url)('./client-calls.cjs');
const PACKAGES = {
  bedrock: '@aws-sdk/client-bedrock-runtime',
  google: '@google/genai',
  mistral: '@mistralai/mistralai',
  cohere: 'cohere-ai',
};
const name = process.env.CLIENT;
const loaded = await import(PACKAGES[name]);
// A CommonJS package's exports may only be on `default`.
const sdk = { ...loaded.default, ...loaded };

const results = await runCalls(name, sdk, process.env.SANDBOX_URL);
console.log(JSON.stringify({ results }));
