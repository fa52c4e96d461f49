// Under `--require axonflow-otel/register`: every governed call of the client named by CLIENT,
// allowed then denied, against the sandbox at SANDBOX_URL. Prints one JSON line with the outcomes.
const { runCalls } = require('./client-calls.cjs');

const PACKAGES = {
  bedrock: '@aws-sdk/client-bedrock-runtime',
  google: '@google/genai',
  mistral: '@mistralai/mistralai',
  cohere: 'cohere-ai',
};
const name = process.env.CLIENT;
const sdk = require(PACKAGES[name]);

runCalls(name, sdk, process.env.SANDBOX_URL).then(results =>
  console.log(JSON.stringify({ results })),
);
