// Where the Chromium for the browser tests is: CHROMIUM_PATH, or `chromium` on PATH (Debian's
// package), or undefined. Shared by scripts/provision-browser.mjs and the tests.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export function chromiumPath(env = process.env) {
  const candidates = env.CHROMIUM_PATH
    ? [env.CHROMIUM_PATH]
    : (env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .flatMap((dir) => ['chromium', 'chromium-browser'].map((name) => join(dir, name)));
  for (const file of candidates) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}
