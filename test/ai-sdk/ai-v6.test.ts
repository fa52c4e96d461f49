/**
 * ai 6 (`LanguageModelV3`) with @ai-sdk/openai 3: the behaviours of `suite.ts`, and the `v2`
 * models of @ai-sdk/openai 2, which ai 6 also accepts.
 */
import { createOpenAI as createOpenAI2 } from 'ai-sdk-openai-v2';
import { createOpenAI } from 'ai-sdk-openai-v3';
import * as ai from 'ai-v6';
import { describeMajor } from './suite.js';

describeMajor({
  label: 'ai 6',
  namespace: ai,
  createOpenAI,
  ownTelemetrySpans: true,
  agentClass: 'ToolLoopAgent',
  previousCreateOpenAI: createOpenAI2,
});
