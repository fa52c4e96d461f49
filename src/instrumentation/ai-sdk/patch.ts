/**
 * The patch layer for the Vercel AI SDK (`ai` 5–7): module definitions that apply the governance
 * middleware to every model the app passes to the AI SDK's functions.
 */
import type { DiagLogger } from '@opentelemetry/api';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { CallEnvironment } from '../../pipeline/governed-call.js';
import type { Provider } from '../types.js';

type AnyFunction = (this: unknown, ...args: any[]) => any;

export interface AiSdkPatchDependencies {
  environment(family: Provider): CallEnvironment | undefined;
  diag: DiagLogger;
  /** True when `version` of `module` is supported; otherwise says so on stderr, once. */
  supported(module: string, version: string | undefined): boolean;
  wrap(target: any, name: string, wrapper: (original: AnyFunction) => AnyFunction): void;
  unwrap(target: any, name: string): void;
}

export function aiSdkModuleDefinitions(
  _deps: AiSdkPatchDependencies,
): InstrumentationNodeModuleDefinition[] {
  return [];
}
