/**
 * The world of the gate tests: a scripted AxonFlow agent on loopback (replies like the platform,
 * or like a hostile server), the sandbox's deterministic model (it counts the requests it gets),
 * the real `openai` SDK pointed at it, and one AxonFlowInstrumentation in-process. Each test picks
 * the client it governs with; every client made here is closed afterwards.
 */
import OpenAI from 'openai';
import { vi } from 'vitest';
import { AxonFlowClient, type AxonFlowClientConfig } from '../../src/index.js';
import { resetNotices } from '../../src/notices/index.js';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.js';
import { type Harness, setupHarness } from '../helpers/otel.js';
import { type ScriptedAgent, startScriptedAgent } from '../helpers/scripted-agent.js';

export const PRE_CHECK = '/api/policy/pre-check';
export const MODEL = 'sandbox-gpt';

export interface GateWorld {
  agent: ScriptedAgent;
  sandbox: Sandbox;
  h: Harness;
  openai: OpenAI;
  /** A client of the scripted agent (or `endpoint`), governing the instrumented SDK from now on. */
  govern(config?: AxonFlowClientConfig): AxonFlowClient;
  /** A client of the scripted agent that does not govern the SDK. */
  client(config?: AxonFlowClientConfig): AxonFlowClient;
  /** One chat call through the instrumented SDK: its result, or what it threw. */
  chat(content: string, options?: { stream?: boolean }): Promise<unknown>;
  /** The `axonflow-otel:` lines written to stderr since the last `reset()`. */
  notices(): string[];
  reset(): void;
  close(): Promise<void>;
}

export async function startGateWorld(options: { sandbox?: SandboxOptions } = {}) {
  const sandbox = await startSandbox(options.sandbox);
  const agent = await startScriptedAgent();
  const clients: AxonFlowClient[] = [];
  const h = setupHarness({ client: undefined });
  const openai = new OpenAI({ apiKey: 'sk-test-gate', baseURL: sandbox.modelUrl, maxRetries: 0 });
  const lines: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: unknown, ...rest) => {
    const text = String(chunk);
    if (text.startsWith('axonflow-otel:')) {
      lines.push(text.trimEnd());
      return true;
    }
    return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write);

  const client = (config: AxonFlowClientConfig = {}) => {
    const c = new AxonFlowClient({
      endpoint: agent.url,
      telemetry: false,
      retry: { maxAttempts: 1 },
      ...config,
    });
    clients.push(c);
    return c;
  };

  const world: GateWorld = {
    agent,
    sandbox,
    h,
    openai,
    client,
    govern(config) {
      const c = client(config);
      h.instrumentation.setConfig({ client: c });
      h.instrumentation.enable();
      return c;
    },
    async chat(content, opts = {}) {
      try {
        if (opts.stream) {
          const stream = await openai.chat.completions.create({
            model: MODEL,
            stream: true,
            messages: [{ role: 'user', content }],
          });
          let text = '';
          for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
          return text;
        }
        return await openai.chat.completions.create({
          model: MODEL,
          messages: [{ role: 'user', content }],
        });
      } catch (err) {
        return err;
      }
    },
    notices: () => [...lines],
    reset() {
      h.reset();
      sandbox.resetCounters();
      agent.requests.length = 0;
      lines.length = 0;
      resetNotices();
    },
    async close() {
      spy.mockRestore();
      await h.close();
      await Promise.all(clients.splice(0).map(c => c.close()));
      await agent.close();
      await sandbox.close();
    },
  };
  return world;
}
