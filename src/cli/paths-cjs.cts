/** CommonJS build of `paths.ts`. */
import { join } from 'node:path';

export function builtFile(relative: string): string {
  return join(__dirname, '..', relative);
}
