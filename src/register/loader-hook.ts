/**
 * The ESM loader hook that lets the instrumentation patch SDKs an ES module app imports. Where
 * the running Node can, it is the synchronous, in-thread `module.registerHooks()` hook of
 * import-in-the-middle (no loader thread, no `DEP0205` warning on Node 26); elsewhere the
 * asynchronous `module.register()` hook that `@opentelemetry/instrumentation` ships.
 *
 * import-in-the-middle decides which Node versions run its synchronous hook correctly
 * (`supportsSyncHooks`; earlier 22.x and 24.x ship `registerHooks` with a bug in CommonJS
 * loading: https://github.com/nodejs/node/pull/59929).
 */
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';

interface SyncHooks {
  register(options: { include: string[] }): void;
  supportsSyncHooks(): boolean;
}

const REGISTERED = Symbol.for('axonflow-otel.loader-hook');

/** The process runs code from `-e`, `-p` or stdin rather than from a file. */
function evaluatesInlineCode(): boolean {
  return (
    (process as { _eval?: unknown })._eval !== undefined ||
    process.argv[1] === undefined ||
    process.argv[1] === '-'
  );
}

export function registerLoaderHook(
  requireFn: (id: string) => unknown,
  parentUrl: string,
  include: string[],
): void {
  const g = globalThis as Record<symbol, boolean | undefined>;
  // Both builds may be loaded (`--require` and `--import`): one hook per process.
  if (g[REGISTERED]) return;
  g[REGISTERED] = true;
  const sync = requireFn('import-in-the-middle/register-hooks.mjs') as SyncHooks;
  // Code given with `-e` / `-p` (and piped to stdin) is loaded through the synchronous hook's
  // builtin-module path, where import-in-the-middle reads `module` as a file and the process dies
  // (ENOENT): such processes get the asynchronous hook.
  if (sync.supportsSyncHooks() && !evaluatesInlineCode()) {
    sync.register({ include });
    return;
  }
  const hook = (requireFn as NodeJS.Require).resolve('@opentelemetry/instrumentation/hook.mjs');
  register(pathToFileURL(hook).href, parentUrl, { data: { include } });
}
