/**
 * The gate holds: time of check = time of use. The pre-check decides on the request as the SDK
 * will serialise it, read at the last moment before sending (the `prepareOptions` gate), and the
 * SDK sends exactly what was checked. Changes the app makes to its `params` / `messages` after
 * `create()` returns are either checked (made before the gate) or have no effect (made after).
 *
 * Each case runs on the current and the previous major of both SDKs, against the sandbox (whose
 * agent denies a prompt holding an SSN), with a `fetch` that records the bodies the SDK sends
 * and a spy on the client that records the text each pre-check was asked about. The decision
 * cache is off, so every pre-check is a real agent request.
 */
import Anthropic from '@anthropic-ai/sdk';
import * as anthropicV0 from 'anthropic-sdk-v0';
import OpenAI from 'openai';
import * as openaiV6 from 'openai-v6';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AxonFlowClient, PolicyViolationError } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';

const CLEAN = 'Please summarise the meeting notes';
const SSN = 'My SSN is 123-45-6789, store it';
const SSN_DIGITS = '123-45-6789';

let sandbox: Sandbox;
let client: AxonFlowClient;
let current: Harness;
let previous: Harness;

/** Bodies the SDKs handed to fetch, in order. */
let sent: string[] = [];
/** Runs once, inside the next fetch (after the SDK serialised the body). */
let onSend: (() => void) | undefined;
/** Text of each pre-check, in order. */
let checked: string[] = [];
/** Runs once, when the next pre-check is asked (the gate has read the request by then). */
let onPreCheck: (() => void) | undefined;

function recordingFetch(url: any, init?: any): Promise<Response> {
  sent.push(typeof init?.body === 'string' ? init.body : '');
  const hook = onSend;
  onSend = undefined;
  hook?.();
  return fetch(url, init);
}

interface Message {
  role: 'user' | 'assistant';
  content: any;
}

interface Sdk {
  name: string;
  harness(): Harness;
  /** Request params with these messages. */
  params(messages: Message[]): any;
  /** Calls the SDK's governed method; resolves to the reply text. */
  send(params: any, options?: any): Promise<string>;
  /** The same client, subclassed with a `prepareOptions` override that runs before `super`. */
  withPrepareOptions(before: (options: any) => void): { send(params: any): Promise<string> };
}

function openaiSdk(name: string, OpenAIClass: any, harness: () => Harness): Sdk {
  const make = (Class: any) =>
    new Class({ apiKey: 'k', baseURL: sandbox.modelUrl, maxRetries: 0, fetch: recordingFetch });
  const send = async (openai: any, params: any, options?: any) => {
    const completion = await openai.chat.completions.create(params, options);
    return String(completion.choices[0]?.message?.content ?? '');
  };
  return {
    name,
    harness,
    params: messages => ({ model: 'gate-gpt', messages }),
    send: (params, options) => send(make(OpenAIClass), params, options),
    withPrepareOptions(before) {
      class Rewriting extends OpenAIClass {
        async prepareOptions(options: any) {
          before(options);
          return super.prepareOptions(options);
        }
      }
      const openai = make(Rewriting);
      return { send: params => send(openai, params) };
    },
  };
}

function anthropicSdk(name: string, AnthropicClass: any, harness: () => Harness): Sdk {
  const make = (Class: any) =>
    new Class({
      apiKey: 'k',
      baseURL: sandbox.url,
      maxRetries: 0,
      openTelemetry: false,
      fetch: recordingFetch,
    });
  const send = async (anthropic: any, params: any, options?: any) => {
    const message = await anthropic.messages.create(params, options);
    return String(message.content.find((b: any) => b.type === 'text')?.text ?? '');
  };
  return {
    name,
    harness,
    params: messages => ({ model: 'gate-claude', max_tokens: 64, messages }),
    send: (params, options) => send(make(AnthropicClass), params, options),
    withPrepareOptions(before) {
      class Rewriting extends AnthropicClass {
        async prepareOptions(options: any) {
          before(options);
          return super.prepareOptions(options);
        }
      }
      const anthropic = make(Rewriting);
      return { send: params => send(anthropic, params) };
    },
  };
}

const SDKS: Sdk[] = [
  openaiSdk('openai 7', OpenAI, () => current),
  openaiSdk('openai 6', openaiV6.default, () => previous),
  anthropicSdk('@anthropic-ai/sdk 1.x', Anthropic, () => current),
  anthropicSdk('@anthropic-ai/sdk 0.x', anthropicV0.default, () => previous),
];

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({
    endpoint: sandbox.agentUrl,
    telemetry: false,
    retry: { maxAttempts: 1 },
    cache: { enabled: false },
  });
  const preCheck = client.preCheck.bind(client);
  client.preCheck = request => {
    checked.push(request.query);
    const hook = onPreCheck;
    onPreCheck = undefined;
    hook?.();
    return preCheck(request);
  };
  current = setupHarness({ client });
  previous = setupHarness({ client }, { openai: openaiV6, anthropic: anthropicV0 });
});

afterAll(async () => {
  await current.close();
  await previous.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  current.reset();
  previous.reset();
  sandbox.resetCounters();
  sandbox.clearFaults();
  sent = [];
  checked = [];
  onSend = undefined;
  onPreCheck = undefined;
});

afterEach(() => {
  for (const s of [...current.spans(), ...previous.spans()]) expect(s.ended).toBe(true);
});

/** The text of every message in a sent JSON body. */
function sentText(body: string): string {
  const parsed = JSON.parse(body) as { messages: { content: unknown }[] };
  return parsed.messages.map(m => JSON.stringify(m.content)).join('\n');
}

describe.each(SDKS)('$name', sdk => {
  it('checks a message appended after create() returns: an SSN there is denied and the model is never called', async () => {
    const params = sdk.params([{ role: 'user', content: CLEAN }]);
    const pending = sdk.send(params);
    params.messages.push({ role: 'user', content: SSN });
    const err = await pending.catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
    expect(sent).toEqual([]);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain(SSN_DIGITS);
    const chat = sdk
      .harness()
      .spans()
      .find(s => s.name.startsWith('chat'));
    expect(chat?.attributes['axonflow.decision']).toBe('deny');
  });

  it('checks a message edited in place after create() returns: an SSN there is denied and the model is never called', async () => {
    const params = sdk.params([{ role: 'user', content: CLEAN }]);
    const pending = sdk.send(params);
    params.messages[0].content = SSN;
    const err = await pending.catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
    expect(sent).toEqual([]);
  });

  it('sends the text that was checked when the app changes it while the decision is pending', async () => {
    const params = sdk.params([{ role: 'user', content: CLEAN }]);
    // The gate has read the request when the pre-check is asked; this change comes after.
    onPreCheck = () => {
      params.messages[0].content = SSN;
    };
    const reply = await sdk.send(params);
    expect(params.messages[0].content).toBe(SSN);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain(CLEAN);
    expect(sandbox.modelRequests()).toBe(1);
    expect(sent).toHaveLength(1);
    expect(sentText(sent[0]!)).toContain(CLEAN);
    expect(sentText(sent[0]!)).not.toContain(SSN_DIGITS);
    // The sandbox model echoes the prompt it received.
    expect(reply).toContain(CLEAN);
    expect(reply).not.toContain(SSN_DIGITS);
  });

  it('checks the request as it serialises: a message object with toJSON (a model class) is checked as the JSON sent', async () => {
    class ChatMessage {
      constructor(readonly text: string) {}
      toJSON() {
        return { role: 'user', content: this.text };
      }
    }
    const err = await sdk
      .send(sdk.params([new ChatMessage(SSN) as unknown as Message]))
      .catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(checked).toHaveLength(1);
    expect(checked[0]).toContain(SSN_DIGITS);
    expect(sandbox.modelRequests()).toBe(0);
    expect(sent).toEqual([]);
  });

  it('resends the checked body on a retry, with one pre-check, even when the app changed its params in between', async () => {
    sandbox.injectModelFault('429', 1);
    const params = sdk.params([{ role: 'user', content: CLEAN }]);
    // Runs while the first attempt is in flight, before the SDK retries.
    onSend = () => {
      params.messages[0].content = SSN;
    };
    const reply = await sdk.send(params, { maxRetries: 1 });
    expect(sandbox.modelRequests()).toBe(2);
    expect(checked).toHaveLength(1);
    expect(sent).toHaveLength(2);
    expect(sent[1]).toBe(sent[0]);
    expect(sentText(sent[1]!)).not.toContain(SSN_DIGITS);
    expect(reply).toContain(CLEAN);
    expect(reply).not.toContain(SSN_DIGITS);
    const preChecks = sdk
      .harness()
      .spans()
      .filter(s => s.name === 'axonflow.pre_check');
    expect(preChecks).toHaveLength(1);
  });

  it("checks the request as the app's own prepareOptions override left it before calling super", async () => {
    const rewriting = sdk.withPrepareOptions(options => {
      options.body.messages.push({ role: 'user', content: SSN });
    });
    const err = await rewriting.send(sdk.params([{ role: 'user', content: CLEAN }])).catch(e => e);
    expect(err).toBeInstanceOf(PolicyViolationError);
    expect(sandbox.modelRequests()).toBe(0);
    expect(sent).toEqual([]);
  });
});
