/**
 * OpenTelemetry test harness: a real TracerProvider with an in-memory exporter, an async-hooks
 * context manager, and one AxonFlowInstrumentation applied to the `openai` and
 * `@anthropic-ai/sdk` modules the tests import (ES modules, which the require hook cannot see,
 * so their exports are handed to the instrumentation's own module definitions).
 */
import * as anthropicModule from '@anthropic-ai/sdk';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import * as openaiModule from 'openai';
import { AxonFlowInstrumentation, type AxonFlowInstrumentationConfig } from '../../src/index.js';

export interface Harness {
  instrumentation: AxonFlowInstrumentation;
  exporter: InMemorySpanExporter;
  provider: TracerProvider;
  spans(): ReadableSpan[];
  span(name: string): ReadableSpan;
  childrenOf(parent: ReadableSpan): ReadableSpan[];
  reset(): void;
  close(): Promise<void>;
}

let contextManager: AsyncLocalStorageContextManager | undefined;

export interface SdkModules {
  openai?: unknown;
  anthropic?: unknown;
  groq?: unknown;
  /** The `ai` package (the Vercel AI SDK). */
  ai?: unknown;
  /** `@google/genai`. */
  google?: unknown;
  /** `@aws-sdk/client-bedrock-runtime`. */
  bedrock?: unknown;
  /** `@mistralai/mistralai`. */
  mistral?: unknown;
  /** `cohere-ai`. */
  cohere?: unknown;
}

export function setupHarness(
  config: AxonFlowInstrumentationConfig,
  modules: SdkModules = {},
): Harness {
  if (!contextManager) {
    contextManager = new AsyncLocalStorageContextManager().enable();
    context.setGlobalContextManager(contextManager);
  }
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  trace.disable();
  trace.setGlobalTracerProvider(provider);
  const instrumentation = new AxonFlowInstrumentation(config);
  instrumentation.setTracerProvider(provider);
  attachModules(instrumentation, modules);
  const spans = () => exporter.getFinishedSpans();
  return {
    instrumentation,
    exporter,
    provider,
    spans,
    span(name) {
      const found = spans().filter(s => s.name === name);
      if (found.length !== 1) {
        throw new Error(
          `expected one span named ${name}, got ${found.length}: ${spans()
            .map(s => s.name)
            .join(', ')}`,
        );
      }
      return found[0]!;
    },
    childrenOf(parent) {
      return spans().filter(s => s.parentSpanContext?.spanId === parent.spanContext().spanId);
    },
    reset: () => exporter.reset(),
    async close() {
      instrumentation.disable();
      await provider.shutdown();
    },
  };
}

/** Hands the imported SDK modules to the instrumentation and (re)applies its patches. */
export function attachModules(
  instrumentation: AxonFlowInstrumentation,
  sdk: SdkModules = {},
): void {
  // The instrumentation's live definitions (getModuleDefinitions() would build new ones).
  const modules = (instrumentation as unknown as { _modules: { name: string }[] })._modules;
  instrumentation.disable();
  const byName: Record<string, [unknown, string]> = {
    openai: [sdk.openai ?? openaiModule, '7.0.0'],
    '@anthropic-ai/sdk': [sdk.anthropic ?? anthropicModule, '1.0.0'],
    'groq-sdk': [sdk.groq, '1.0.0'],
    ai: [sdk.ai, '7.0.0'],
    '@google/genai': [sdk.google, '1.0.0'],
    '@aws-sdk/client-bedrock-runtime': [sdk.bedrock, '3.0.0'],
    '@mistralai/mistralai': [sdk.mistral, '2.0.0'],
    'cohere-ai': [sdk.cohere, '8.0.0'],
  };
  for (const def of modules) {
    const [mod, version] = byName[def.name] ?? [undefined, ''];
    if (mod === undefined) continue;
    (def as { moduleExports?: unknown }).moduleExports = mod;
    (def as { moduleVersion?: string }).moduleVersion = version;
  }
  instrumentation.enable();
}
