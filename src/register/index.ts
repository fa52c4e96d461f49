/**
 * The zero-code entry: `node --require axonflow-otel/register app.js` (CommonJS) or
 * `node --import axonflow-otel/register app.mjs` (ES modules). Loading this module starts
 * governed tracing from the `OTEL_*` and `AXONFLOW_*` environment variables; see `start.ts`.
 * On a Node.js too old for the package, it prints one line and loads nothing else.
 */
import { checkNodeVersion } from '../notices/node-version.js';

if (checkNodeVersion()) {
  // Awaited (top-level await, ES module build only): Node waits for an `--import` preload, so
  // the SDK is started before the app's first import. The exporter the settings name is
  // imported first, as an ES module, so the start finds it instead of requiring its CommonJS build.
  // @ts-ignore: the CommonJS build uses index-cjs.cts instead of this file
  const { preloadFromEnv, startFromEnv } = await import('./start.js');
  // @ts-ignore: as above
  await preloadFromEnv();
  startFromEnv();
}
