/** ai 5 (`LanguageModelV2`) with @ai-sdk/openai 2: the behaviours of `suite.ts`. */

import { createOpenAI } from 'ai-sdk-openai-v2';
import * as ai from 'ai-v5';
import { describeMajor } from './suite.js';

describeMajor({
  label: 'ai 5',
  namespace: ai,
  createOpenAI,
  ownTelemetrySpans: true,
  agentClass: 'Experimental_Agent',
});
