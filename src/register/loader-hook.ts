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
  // Code given with `-e` / `-p` (or piped to stdin) gets no ES module loader hook: under the
  // synchronous hook, import-in-the-middle reads the builtin `module` as a file and the process
  // dies (ENOENT), and the asynchronous one is deprecated on Node 26 (DEP0205, a warning on every
  // run). Such code is CommonJS unless told otherwise, and the require hooks still patch it.
  if (evaluatesInlineCode()) return;
  const sync = requireFn('import-in-the-middle/register-hooks.mjs') as SyncHooks;
  if (sync.supportsSyncHooks()) {
    sync.register({ include });
    return;
  }
  const hook = (requireFn as NodeJS.Require).resolve('@opentelemetry/instrumentation/hook.mjs');
  register(pathToFileURL(hook).href, parentUrl, { data: { include } });
}
