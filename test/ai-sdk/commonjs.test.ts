/**
 * The module hook's CommonJS side: `require('ai')` of ai 7 (an ES module, loaded through Node's
 * `require()` of ES modules) and the CommonJS build of ai 6 (exports that are getters) cannot be
 * patched in place, so the app is handed a patched copy of the exports.
 */
import { createRequire } from 'node:module';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAI as createOpenAI3 } from 'ai-sdk-openai-v3';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { AxonFlowClient } from '../../src/index.js';
import { type Sandbox, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { gateCode, POLICY_VIOLATION, PROMPT, SSN_PROMPT } from './suite.js';

const MODEL = 'sandbox-gpt';
const require = createRequire(import.meta.url);

let sandbox: Sandbox;
let client: AxonFlowClient;
let h: Harness;

beforeAll(async () => {
  sandbox = await startSandbox();
  client = new AxonFlowClient({ endpoint: sandbox.agentUrl, telemetry: false });
  // No module handed over: the instrumentation's require hook is the one that sees `ai`.
  h = setupHarness({ client });
});

afterAll(async () => {
  await h.close();
  await client.close();
  await sandbox.close();
});

beforeEach(() => {
  h.reset();
  sandbox.resetCounters();
});

it("require('ai') of ai 7, an ES module, returns a copy of its exports whose calls are governed", async () => {
  const ai = require('ai');
  expect(Object.getOwnPropertyDescriptor(ai, 'generateText')?.configurable).toBe(true);
  const openai = createOpenAI({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-commonjs' });
  const result = await ai.generateText({ model: openai(MODEL), prompt: PROMPT });
  expect(result.text).toContain('Sandbox reply');
  expect(h.span(`chat ${MODEL}`).attributes['axonflow.decision']).toBe('allow');

  const err = await ai
    .generateText({ model: openai(MODEL), prompt: SSN_PROMPT })
    .catch((e: unknown) => e);
  expect(gateCode(err)).toBe(POLICY_VIOLATION);
  expect(sandbox.modelRequests()).toBe(1);
});

it('hands the CommonJS build of ai 6, whose exports are getters, a patched copy', async () => {
  const cjs = require('ai-v6');
  expect(Object.getOwnPropertyDescriptor(cjs, 'generateText')?.configurable).toBe(false);
  // The package is installed as `ai-v6`, which the hook does not match: its definition is applied.
  const definition = h.instrumentation.getModuleDefinitions().find(d => d.name === 'ai')!;
  const patched = definition.patch!(cjs, '6.0.0');
  try {
    expect(patched).not.toBe(cjs);
    expect(patched.generateText).not.toBe(cjs.generateText);
    expect(patched.jsonSchema).toBe(cjs.jsonSchema);
    const openai3 = createOpenAI3({ baseURL: sandbox.modelUrl, apiKey: 'sk-test-commonjs' });
    const err = await patched
      .generateText({ model: openai3(MODEL), prompt: SSN_PROMPT })
      .catch((e: unknown) => e);
    expect(gateCode(err)).toBe(POLICY_VIOLATION);
    expect(sandbox.modelRequests()).toBe(0);
  } finally {
    definition.unpatch!(cjs);
  }
  expect(patched.generateText).toBe(cjs.generateText);
});
