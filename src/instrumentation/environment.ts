/**
 * Where code that is not a module hook (the explicit API: `governClient`, the AI SDK middleware)
 * finds the environment of a call: the most recently enabled `AxonFlowInstrumentation`, published
 * under a `Symbol.for` key so that the CommonJS and ES module builds of this package find the same
 * one. While none is enabled, the explicit API starts one (`explicit.ts`).
 */
import type { CallEnvironment } from '../pipeline/governed-call.js';
import type { Provider } from './types.js';

export interface EnvironmentSource {
  /** The environment of a call of `family`, or undefined when it must not be instrumented. */
  environmentFor(family: Provider): CallEnvironment | undefined;
}

const SLOT = Symbol.for('axonflow-otel.environment-source');
type Slot = { [SLOT]?: EnvironmentSource };

export function publishEnvironmentSource(source: EnvironmentSource): void {
  (globalThis as Slot)[SLOT] = source;
}

export function withdrawEnvironmentSource(source: EnvironmentSource): void {
  if ((globalThis as Slot)[SLOT] === source) delete (globalThis as Slot)[SLOT];
}

export function currentEnvironmentSource(): EnvironmentSource | undefined {
  return (globalThis as Slot)[SLOT];
}
