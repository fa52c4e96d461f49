/**
 * CommonJS build of `platform.ts`: the same loader hook registration (so ES modules the app
 * imports after a `--require` are patched too) and synchronous module loading, which needs no
 * preloading here.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { registerLoaderHook } from './loader-hook.js';

export function registerEsmHook(include: string[]): void {
  registerLoaderHook(require, pathToFileURL(__filename).href, include);
}

/** Nothing to do in the CommonJS build: `require()` loads the CommonJS builds it shares. */
export async function preloadModules(_names: readonly string[]): Promise<void> {}

export function requireModule<T>(name: string, from?: string): T {
  const load = from ? createRequire(require.resolve(from)) : require;
  return load(name) as T;
}
