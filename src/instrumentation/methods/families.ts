/**
 * The client families patched at one method per model request (`governed-method.ts`): each one's
 * module definitions, in one list the instrumentation reads. To govern a new client of this kind:
 * write its adapter (`src/adapters/`), a `<client>.ts` here that wraps its methods with
 * `governRequest`, and add it to this list (and its module names to `PROVIDER_MODULES`). Each
 * `<client>.ts` also exports a `govern…Instance(client, deps)` that governs one client instance
 * with the same functions, for `governClient` (`../explicit.ts`).
 */
import type { DiagLogger } from '@opentelemetry/api';
import type { InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import type { CallEnvironment } from '../../pipeline/governed-call.js';
import type { Provider } from '../types.js';
import { bedrockRuntimeDefinitions } from './bedrock-runtime.js';
import { cohereDefinitions } from './cohere.js';
import { googleGenAiDefinitions } from './google-genai.js';
import { mistralDefinitions } from './mistral.js';

export type AnyFunction = (this: any, ...args: any[]) => any;

/**
 * What governing one client instance takes (the explicit API, `governClient`): the environment of
 * a call and a logger; no module is patched.
 */
export interface InstanceDependencies {
  environment(family: Provider): CallEnvironment | undefined;
  diag: DiagLogger;
}

export interface MethodPatchDependencies extends InstanceDependencies {
  /** True when `version` of `module` is supported; otherwise says so on stderr, once. */
  supported(module: string, version: string | undefined): boolean;
  wrap(target: any, name: string, wrapper: (original: AnyFunction) => AnyFunction): void;
  unwrap(target: any, name: string): void;
}

export interface MethodFamily {
  name: Provider;
  definitions(deps: MethodPatchDependencies): InstrumentationNodeModuleDefinition[];
}

export const METHOD_FAMILIES: readonly MethodFamily[] = [
  { name: 'google', definitions: googleGenAiDefinitions },
  { name: 'bedrock', definitions: bedrockRuntimeDefinitions },
  { name: 'mistral', definitions: mistralDefinitions },
  { name: 'cohere', definitions: cohereDefinitions },
];
