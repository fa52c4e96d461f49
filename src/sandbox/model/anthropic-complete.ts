/**
 * `POST /v1/complete`, Anthropic's legacy Text Completions API. The `prompt` is a conversation
 * in `"\n\nHuman: …\n\nAssistant:"` form (an optional system text first, a Human turn next, an
 * Assistant turn last, possibly prefilled); its turns go to `generate()`, so the completion is
 * the reply the Messages API gives for the same conversation, with the leading space Claude's
 * completions have since the prompt ends at "Assistant:". JSON `{type: "completion", …}`, or with
 * `stream: true` `completion` events carrying one token each, a `ping`, and a last `completion`
 * event with empty text and the `stop_reason`.
 */
import { HttpError } from '../http/io.js';
import { jsonFrame, type SseFrame } from '../http/sse.js';
import {
  type ModelCall,
  modelStream,
  optionalBoolean,
  requireString,
  sendModelJson,
  shortId,
} from './common.js';
import { type ChatTurn, generate } from './engine.js';

const HUMAN = '\n\nHuman:';
/** The stop sequence built into the model, reported when a completion ends on its own. */
const BUILT_IN_STOP = HUMAN;

export async function complete(call: ModelCall): Promise<void> {
  const { body } = call;
  const model = requireString(body, 'model');
  const maxTokens = body.max_tokens_to_sample;
  if (typeof maxTokens !== 'number' || !Number.isInteger(maxTokens) || maxTokens < 1) {
    throw new HttpError(400, 'max_tokens_to_sample: Field required (a positive integer)');
  }
  const turns = parsePrompt(requireString(body, 'prompt'));
  const stream = optionalBoolean(body, 'stream');
  const gen = generate({ turns, tools: [], toolChoice: { kind: 'none' }, maxTokens });
  const ended = gen.finish === 'length';
  const stopReason = ended ? 'max_tokens' : 'stop_sequence';
  const stop = ended ? null : BUILT_IN_STOP;
  const id = `compl_sbx${shortId()}`;
  const pieces = gen.pieces.map((piece, i) => (i === 0 ? ` ${piece}` : piece));

  if (!stream) {
    sendModelJson(call, {
      type: 'completion',
      id,
      completion: pieces.join(''),
      stop_reason: stopReason,
      stop,
      model,
    });
    return;
  }

  const event = (completion: string, reason: string | null, stopped: string | null): SseFrame =>
    jsonFrame(
      { type: 'completion', id, completion, stop_reason: reason, stop: stopped, model },
      'completion',
    );
  const frames = pieces.map(piece => event(piece, null, null));
  // The API interleaves pings with the completion events; one after the first token shows that.
  frames.splice(Math.min(1, frames.length), 0, jsonFrame({ type: 'ping' }, 'ping'));
  frames.push(event('', stopReason, stop));
  const out = modelStream(call);
  if (await out.sendAll(frames)) out.end();
}

/**
 * Splits `"[system]\n\nHuman: …\n\nAssistant: …"` into turns, refusing what the API refuses: no
 * Human turn first, or no Assistant turn last. An empty last Assistant turn is where the reply
 * goes, so it is not a turn; a non-empty one is prefill and is kept.
 */
export function parsePrompt(prompt: string): ChatTurn[] {
  const parts = prompt.split(/\n\n(Human|Assistant):/);
  // split() with a capture group alternates: [system, role, text, role, text, …].
  const system = (parts[0] ?? '').trim();
  if (parts[1] !== 'Human') {
    throw new HttpError(
      400,
      'prompt must start with "\\n\\nHuman:" turn after an optional system prompt',
    );
  }
  if (parts.at(-2) !== 'Assistant') {
    throw new HttpError(400, 'prompt must end with "\\n\\nAssistant:" turn');
  }
  const turns: ChatTurn[] = system === '' ? [] : [{ role: 'system', text: system }];
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const text = (parts[i + 1] ?? '').trim();
    const last = i + 2 >= parts.length;
    if (parts[i] === 'Human') turns.push({ role: 'user', text });
    else if (!last || text !== '') turns.push({ role: 'assistant', text });
  }
  return turns;
}
