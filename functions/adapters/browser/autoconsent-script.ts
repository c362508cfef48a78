// The text of @duckduckgo/autoconsent's page script (its self-contained IIFE for Puppeteer and
// Playwright, docs/puppeteer.md of the package) and its rule set, as kept by the package: nothing
// here is a copy. The script is not among the package's exports, so it is read by path.
//
// Bundled (CommonJS, on Lambda and in the test stacks' handler bundles) there is no node_modules:
// esbuild inlines the script through the `text` import attribute (autoconsent-text.ts). From the
// sources (vitest, `npm start` under tsx), where Node cannot import text, it is read from the
// package's directory.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import rules from '@duckduckgo/autoconsent/rules/rules.json' with { type: 'json' };

declare const __filename: string | undefined;

/** One declarative rule of the package (only the fields the crawler looks at are typed). */
export interface AutoconsentRule {
  name: string;
  runContext?: { main?: boolean; frame?: boolean; urlPattern?: string };
  [field: string]: unknown;
}

export const AUTOCONSENT_RULES: readonly AutoconsentRule[] = (rules as { autoconsent: AutoconsentRule[] }).autoconsent;

let script: string | undefined;

/** The package's page script: it waits for `window.autoconsentSendMessage` and answers through it. */
export async function autoconsentScript(): Promise<string> {
  if (script !== undefined) return script;
  const bundled = typeof __filename === 'string' && !__filename.endsWith('.ts');
  if (bundled) {
    script = (await import('./autoconsent-text.js')).default;
  } else {
    const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);
    const main = createRequire(here).resolve('@duckduckgo/autoconsent');
    script = readFileSync(join(dirname(main), 'autoconsent.playwright.js'), 'utf8');
  }
  return script;
}
