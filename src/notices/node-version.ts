/**
 * The Node.js version guard. The package's dependencies (undici 8, the OpenTelemetry 2.x SDK)
 * need Node >= 22.19; on an older Node they fail while loading, which would crash the app. The
 * register entry and the CLI call this before loading anything else: on an older Node it prints
 * one line and they load nothing more, so the app runs, ungoverned, and says so.
 *
 * This file must stay loadable by old Node versions: no imports beyond `./index.js`, no syntax
 * newer than ES2022.
 */
import { notice } from './index.js';

export const MIN_NODE = '22.19.0';

/** True when `version` (e.g. `20.20.2`) is at least MIN_NODE. */
export function nodeSupported(version: string = process.versions.node): boolean {
  const have = version.split('.').map(n => Number.parseInt(n, 10));
  const need = MIN_NODE.split('.').map(n => Number.parseInt(n, 10));
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}

/** The one line printed on an unsupported Node. */
export function unsupportedNodeLine(version: string = process.versions.node): string {
  return `needs Node.js >= ${MIN_NODE}, found ${version}: the app runs WITHOUT governance or tracing. Upgrade Node.js to 22.19 or newer.`;
}

/** Prints the line and returns false on an unsupported Node; true otherwise. */
export function checkNodeVersion(): boolean {
  if (nodeSupported()) return true;
  notice('node-version', unsupportedNodeLine(), { everyMs: Number.POSITIVE_INFINITY });
  return false;
}
