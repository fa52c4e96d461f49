/**
 * Where the built package's own files are, for commands that start a child process with the
 * register entry (this is the ES module build; `paths-cjs.cts` replaces it in CommonJS). The
 * `@ts-ignore`s are for the CommonJS compile of this file, whose output is then replaced.
 */
import { fileURLToPath } from 'node:url';

/** Absolute path of a file of this build, relative to `dist/<dialect>/`. */
export function builtFile(relative: string): string {
  // @ts-ignore: ES module build only
  return fileURLToPath(new URL(`../${relative}`, import.meta.url));
}
