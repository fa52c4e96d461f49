// Under `--import axonflow-otel/register`: the ES module twin of `surfaces.cjs`.
import { createRequire } from 'node:module';

const { runSurfaces } = createRequire(import.meta.url)(process.env.SURFACE_CALLS);
const PACKAGES = { openai: 'openai', anthropic: '@anthropic-ai/sdk', groq: 'groq-sdk' };
const family = process.env.FAMILY;
const sdk = await import(PACKAGES[family]);
const Client = sdk.default;

const results = await runSurfaces(family, process.env.LINE, () => new Client({ maxRetries: 0 }));
console.log(JSON.stringify({ results }));
