/**
 * ai 7 (`LanguageModelV4`) with @ai-sdk/openai 4: the behaviours of `suite.ts`, and the `v3`
 * models of @ai-sdk/openai 3, which ai 7 also accepts.
 */
import { createOpenAI } from '@ai-sdk/openai';
import * as ai from 'ai';
import { createOpenAI as createOpenAI3 } from 'ai-sdk-openai-v3';
import { describeMajor } from './suite.js';

describeMajor({
  label: 'ai 7',
  namespace: ai,
  createOpenAI,
  // ai 7 leaves OpenTelemetry to a separate integration package: no span of its own.
  ownTelemetrySpans: false,
  agentClass: 'ToolLoopAgent',
  previousCreateOpenAI: createOpenAI3,
});
