/**
 * CommonJS build of the register entry (`--require axonflow-otel/register`). Node also runs
 * `--require` preloads in its internal module-hooks thread; loading the SDK there would only
 * double the start-up cost, so the heavy modules are required on the main thread alone. On a
 * Node.js too old for the package, it prints one line and loads nothing else.
 */
import { isInternalThread } from 'node:worker_threads';
import { checkNodeVersion } from '../notices/node-version.js';

if (!isInternalThread && checkNodeVersion()) {
  (require('./start.js') as typeof import('./start.js')).startFromEnv();
}
