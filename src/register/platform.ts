/**
 * What the register entry needs that differs between its ES module and CommonJS builds (this is
 * the ES module one; `platform-cjs.cts` replaces it in the CommonJS build): registering the ESM
 * loader hook, and loading an optional module synchronously, so that the SDK is started before
 * the app's first line runs. (The `@ts-ignore`s are for the CommonJS compile of this file, whose
 * output is then replaced by the polyfill.)
 */
import { createRequire } from 'node:module';
import { registerLoaderHook } from './loader-hook.js';

// @ts-ignore: ES module build only
const requireFromHere = createRequire(import.meta.url);

/**
 * Registers the ESM loader hook, so that `import OpenAI from 'openai'` in an ES module app is
 * patched too. It intercepts only the SDKs we patch, which keeps the loader out of every other
 * module's way.
 */
export function registerEsmHook(include: string[]): void {
  // @ts-ignore: ES module build only
  registerLoaderHook(requireFromHere, import.meta.url, include);
}

export function requireModule<T>(name: string): T {
  return requireFromHere(name) as T;
}
