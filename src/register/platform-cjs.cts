/**
 * CommonJS build of `platform.ts`: the same loader hook registration (so ES modules the app
 * imports after a `--require` are patched too) and synchronous module loading.
 */
import { pathToFileURL } from 'node:url';
import { registerLoaderHook } from './loader-hook.js';

export function registerEsmHook(include: string[]): void {
  registerLoaderHook(require, pathToFileURL(__filename).href, include);
}

export function requireModule<T>(name: string): T {
  return require(name) as T;
}
