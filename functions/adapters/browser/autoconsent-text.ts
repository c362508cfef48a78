// Only for the esbuild bundles (autoconsent-script.ts): esbuild inlines the file as a string. Node
// cannot import text, so from the sources this module is never loaded. The path goes around the
// package's `exports`, which do not list the script.
// @ts-ignore -- a JavaScript file imported as text: no types, and the attribute is esbuild's
import text from '../../../node_modules/@duckduckgo/autoconsent/dist/autoconsent.playwright.js' with { type: 'text' };

export default text as string;
