/**
 * What the register entry needs that differs between its ES module and CommonJS builds (this is
 * the ES module one; `platform-cjs.cts` replaces it in the CommonJS build): registering the ESM
 * loader hook, and loading a module synchronously where only some paths need it, so that the SDK
 * is still started before the app's first line runs. (The `@ts-ignore`s are for the CommonJS
 * compile of this file, whose output is then replaced by the polyfill.)
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

/** ES module namespaces imported ahead of the start by `preloadModules`. */
const preloaded = new Map<string, unknown>();

/**
 * Imports `names` as ES modules, so that `requireModule` hands them out: a `require()` from here
 * would load the CommonJS build of an OpenTelemetry package, and with it a second copy of
 * `@opentelemetry/api`, `core`, `resources` and `semantic-conventions` next to the ES module ones
 * the rest of the package imports. A module that fails to import is left to `requireModule`,
 * which then reports the failure where the start handles it.
 */
export async function preloadModules(names: readonly string[]): Promise<void> {
  for (const name of names) {
    try {
      preloaded.set(name, await import(name));
    } catch {
      // requireModule() tries again and reports.
    }
  }
}

/**
 * Loads `name` synchronously (the ES module one when preloaded); with `from`, as that package
 * would (for a module that is its dependency, not ours).
 */
export function requireModule<T>(name: string, from?: string): T {
  if (from === undefined && preloaded.has(name)) return preloaded.get(name) as T;
  const load = from ? createRequire(requireFromHere.resolve(from)) : requireFromHere;
  return load(name) as T;
}
