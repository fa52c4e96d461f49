/**
 * The GenAI request attributes every protocol has (model, max tokens, sampling parameters, stop
 * sequences, choice count, stream), set from each protocol's own field names. Numbers that are not
 * finite, and stop sequences that are not strings, are left out: adapters read untrusted shapes.
 */
import type { Attributes } from '@opentelemetry/api';
import * as sc from '../semconv/index.js';
import { num, str } from './messages.js';

export interface RequestParameters {
  model?: unknown;
  maxTokens?: unknown;
  temperature?: unknown;
  topP?: unknown;
  topK?: unknown;
  seed?: unknown;
  frequencyPenalty?: unknown;
  presencePenalty?: unknown;
  /** A string or a list of strings. */
  stop?: unknown;
  /** Choices asked for (`n`); recorded only when it is not 1. */
  choiceCount?: unknown;
  stream?: unknown;
}

const NUMBERS: ReadonlyArray<[keyof RequestParameters, string]> = [
  ['maxTokens', sc.ATTR_GEN_AI_REQUEST_MAX_TOKENS],
  ['temperature', sc.ATTR_GEN_AI_REQUEST_TEMPERATURE],
  ['topP', sc.ATTR_GEN_AI_REQUEST_TOP_P],
  ['topK', sc.ATTR_GEN_AI_REQUEST_TOP_K],
  ['seed', sc.ATTR_GEN_AI_REQUEST_SEED],
  ['frequencyPenalty', sc.ATTR_GEN_AI_REQUEST_FREQUENCY_PENALTY],
  ['presencePenalty', sc.ATTR_GEN_AI_REQUEST_PRESENCE_PENALTY],
];

export function requestAttributes(
  operation: string,
  provider: string,
  parameters: RequestParameters,
): Attributes {
  const attrs: Attributes = {
    [sc.ATTR_GEN_AI_OPERATION_NAME]: operation,
    [sc.ATTR_GEN_AI_PROVIDER_NAME]: provider,
  };
  const model = str(parameters.model);
  if (model) attrs[sc.ATTR_GEN_AI_REQUEST_MODEL] = model;
  for (const [field, key] of NUMBERS) {
    const n = num(parameters[field]);
    if (n !== undefined) attrs[key] = n;
  }
  const choices = num(parameters.choiceCount);
  if (choices !== undefined && choices !== 1) attrs[sc.ATTR_GEN_AI_REQUEST_CHOICE_COUNT] = choices;
  const stop = parameters.stop;
  const stops = typeof stop === 'string' ? [stop] : Array.isArray(stop) ? stop : [];
  const strings = stops.filter((s): s is string => typeof s === 'string');
  if (strings.length > 0) attrs[sc.ATTR_GEN_AI_REQUEST_STOP_SEQUENCES] = strings;
  if (parameters.stream === true) attrs[sc.ATTR_GEN_AI_REQUEST_STREAM] = true;
  return attrs;
}
