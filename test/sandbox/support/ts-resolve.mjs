// Lets `node --import ./test/sandbox/support/ts-resolve.mjs src/cli/index.ts` run the sources
// without a build: Node strips the types itself, and these hooks map the `.js` specifiers the
// sources use (module: nodenext) to the `.ts` files that exist, and load every `.ts` file as an
// ES module (a build in progress briefly drops a `{"type":"commonjs"}` package.json into src/).
import { existsSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

registerHooks({
  resolve(specifier, context, nextResolve) {
    if (
      specifier.startsWith('.') &&
      specifier.endsWith('.js') &&
      context.parentURL?.endsWith('.ts')
    ) {
      const candidate = new URL(specifier.replace(/\.js$/, '.ts'), context.parentURL);
      if (existsSync(fileURLToPath(candidate))) return nextResolve(candidate.href, context);
    }
    return nextResolve(specifier, context);
  },
  load(url, context, nextLoad) {
    if (url.startsWith('file:') && url.endsWith('.ts')) {
      return nextLoad(url, { ...context, format: 'module-typescript' });
    }
    return nextLoad(url, context);
  },
});
