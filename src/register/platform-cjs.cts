/**
 * CommonJS build of `platform.ts`: the same loader hook registration (so ES modules the app
 * imports after a `--require` are patched too) and synchronous module loading.
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

export function registerEsmHook(include: string[]): void {
  register(
    pathToFileURL(require.resolve('@opentelemetry/instrumentation/hook.mjs')).href,
    pathToFileURL(__filename).href,
    { data: { include } },
  );
}

export function requireModule<T>(name: string): T {
  return require(name) as T;
}
