// An HTML document as HTTP delivered it, read with linkedom (the parser the Markdown product uses):
// title, links resolved as a browser resolves them (`<base href>` applied), its visible text, and
// what tells an app shell (content that only scripts bring) from a page with content of its own.
import { parseHTML } from 'linkedom';
import { MAX_LINKS_READ } from '../../core/limits.js';
import type { ShellSignals } from '../../core/render-choice.js';

export interface ParsedHtml {
  title: string;
  /** absolute hrefs, base applied, deduplicated, at most maxLinks */
  links: string[];
  linksOmitted: number;
  /** the document's text as a reader sees it: scripts, styles, hidden and template content left out */
  text: string;
  shell: ShellSignals;
}

/** Never shown as text (innerText leaves them out too). */
const NOT_TEXT = 'script, style, noscript, template, head, [hidden], [aria-hidden="true"]';
/** Elements that start their own line in innerText. */
const BLOCKS = new Set(['P', 'DIV', 'LI', 'UL', 'OL', 'H1', 'H2', 'H3', 'H4', 'H5', 'H6', 'TR', 'TABLE', 'SECTION', 'ARTICLE', 'HEADER', 'FOOTER', 'NAV', 'MAIN', 'ASIDE', 'PRE', 'BLOCKQUOTE', 'BR', 'DT', 'DD', 'FIGURE', 'FORM', 'HR']);
/** Ids and attributes single-page apps mount into. */
const APP_ROOTS = '#root, #app, #__next, #__nuxt, #svelte, [data-reactroot], [ng-app], [ng-version]';
const NEEDS_SCRIPT = /(enable|turn on|requires?|need)[^.]{0,40}javascript|javascript[^.]{0,40}(required|disabled|enable)/i;

type DomDocument = ReturnType<typeof parseHTML>['document'];
type DomNode = DomDocument['body'];

/** Decodes a body by its charset (header first, then `<meta charset>`), UTF-8 otherwise. */
export function decodeHtml(body: Uint8Array, contentType: string | null): string {
  const declared = /charset=["']?([\w-]+)/i.exec(contentType ?? '')?.[1];
  const sniffed = declared ?? /<meta[^>]+charset=["']?([\w-]+)/i.exec(Buffer.from(body.subarray(0, 2048)).toString('latin1'))?.[1];
  try {
    return new TextDecoder(sniffed ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

export function parseHtmlPage(html: string, pageUrl: string, maxLinks = MAX_LINKS_READ): ParsedHtml {
  const { document } = parseHTML(html);
  const base = baseOf(document, pageUrl);
  const seen = new Set<string>();
  const links: string[] = [];
  for (const node of Array.from(document.querySelectorAll('a[href], area[href]'))) {
    const href = resolve(node.getAttribute('href') ?? '', base);
    if (!href || seen.has(href)) continue;
    seen.add(href);
    if (links.length < maxLinks) links.push(href);
  }
  const scripts = document.querySelectorAll('script').length;
  const noscriptWarning = Array.from(document.querySelectorAll('noscript')).some((node) => NEEDS_SCRIPT.test(node.textContent ?? ''));
  const emptyRoot = Array.from(document.querySelectorAll(APP_ROOTS)).some((node) => (node.textContent ?? '').trim() === '' && node.children.length === 0);
  const text = visibleText(document);
  const words = text.match(/\S+/g)?.length ?? 0;
  return {
    title: (document.querySelector('title')?.textContent ?? '').trim(),
    links,
    linksOmitted: seen.size - links.length,
    text,
    shell: { words, links: seen.size, emptyRoot, noscriptWarning, scripts },
  };
}

/** The text of an HTML document as innerText would give it (a close reading, without layout). */
export function htmlText(html: string): string {
  return visibleText(parseHTML(html).document);
}

function visibleText(document: DomDocument): string {
  const root = (document.body ?? document.documentElement) as DomNode | null;
  if (!root) return '';
  // a copy: the caller's document keeps its scripts
  const copy = root.cloneNode(true) as DomNode;
  for (const node of Array.from(copy.querySelectorAll(NOT_TEXT))) node.remove();
  const parts: string[] = [];
  const walk = (node: DomNode): void => {
    for (const child of Array.from(node.childNodes) as DomNode[]) {
      if (child.nodeType === 3) parts.push((child.textContent ?? '').replace(/\s+/g, ' '));
      else if (child.nodeType === 1) {
        const block = BLOCKS.has(child.tagName);
        if (block) parts.push('\n');
        walk(child);
        if (block) parts.push('\n');
      }
    }
  };
  walk(copy);
  return parts
    .join('')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .join('\n')
    .trim();
}

function baseOf(document: DomDocument, pageUrl: string): string {
  const href = document.querySelector('base[href]')?.getAttribute('href');
  return href ? (resolve(href, pageUrl) ?? pageUrl) : pageUrl;
}

/** As a browser's `a.href`: resolved against the base; empty for what does not parse. */
function resolve(href: string, base: string): string | undefined {
  try {
    return new URL(href.trim(), base).href;
  } catch {
    return undefined;
  }
}
