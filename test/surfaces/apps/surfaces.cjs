// Under `--require axonflow-otel/register`: every surface of the client family named by FAMILY
// (the SDK line LINE, installed as this folder's `node_modules/<package>`), allowed then denied.
// Prints one JSON line with the outcomes.
const { runSurfaces } = require(process.env.SURFACE_CALLS);

const PACKAGES = { openai: 'openai', anthropic: '@anthropic-ai/sdk', groq: 'groq-sdk' };
const family = process.env.FAMILY;
const sdk = require(PACKAGES[family]);
const Client = sdk.default ?? sdk;

runSurfaces(family, process.env.LINE, () => new Client({ maxRetries: 0 })).then(results =>
  console.log(JSON.stringify({ results })),
);
