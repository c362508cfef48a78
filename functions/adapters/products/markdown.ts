// The page's main content as Markdown: Mozilla's Readability picks the article out of the rendered
// DOM (navigation, footers, sidebars left out), turndown with the GFM plugin writes it (tables,
// fenced code blocks), links and images made absolute.
//
// Readability runs in Node on the renderer's DOM snapshot (linkedom), not inside the tab: measured
// on a 23 KB page, comparable cost (~60 ms vs ~70 ms, most of the in-page time compiling the
// injected 90 KB script on every page), and no script to inject means nothing for the page's own
// globals to break and nothing extra for esbuild to bundle. The snapshot is taken after the page
// settled, so content that scripts inserted is in it.
import { Readability } from '@mozilla/readability';
import { parseHTML } from 'linkedom';
import TurndownService from 'turndown';
import { gfm } from 'turndown-plugin-gfm';
import { normaliseMainText } from '../../core/changes.js';
import type { ProductOutput } from '../../core/ports.js';
import { capUtf8 } from '../browser/renderer.js';
import { capWithMarker, documentKind, isHtmlDocument, MAX_CONTENT_BYTES, truncationMarker } from './content-cap.js';
import { documentOutput } from './document-output.js';
import type { PageProduct, ProductContext } from './page-product.js';

/**
 * The DOM converted is cut to this size first: linkedom, Readability and turndown run on Node's
 * event loop (measured: ~2.4 s for a 1.6 MB page on a busy 2-core machine), and the Markdown is
 * capped at 1 MiB anyway.
 */
export const MAX_INPUT_BYTES = 3 * 1024 * 1024;
/** Beyond this many elements Readability gives up (it scores every node); the body is converted instead. */
const MAX_ELEMENTS_FOR_READABILITY = 40_000;

/** Left out before anything else: never content, and some of it (consent banners) looks like it. */
const NEVER_CONTENT = 'script, style, noscript, template, iframe, object, embed, dialog, [aria-modal="true"], [hidden], [aria-hidden="true"]';
/** Cookie/consent banners, by the names sites and consent platforms give them. */
const CONSENT_BANNERS = [
  '[id*="cookie" i]',
  '[class*="cookie" i]',
  '[id*="consent" i]',
  '[class*="consent" i]',
  '[aria-label*="cookie" i]',
  '[id*="gdpr" i]',
  '[class*="gdpr" i]',
  '#onetrust-banner-sdk',
  '#CybotCookiebotDialog',
].join(', ');
/** What the fallback (no article found) leaves out of the body. */
const BOILERPLATE = 'nav, header, footer, aside, form, [role="navigation"], [role="banner"], [role="contentinfo"], [role="search"], [role="complementary"]';
/** A consent banner is small; a big element whose class mentions cookies is probably a recipe. */
const MAX_BANNER_TEXT = 3_000;

export interface MarkdownOptions {
  maxBytes?: number;
}

export class MarkdownProduct implements PageProduct {
  readonly name = 'markdown';
  constructor(private readonly options: MarkdownOptions = {}) {}

  async collect(_tab: unknown, context: ProductContext): Promise<ProductOutput> {
    if (context.document) return documentOutput(context.document, 'markdown', 'Markdown', this.options.maxBytes);
    if (!isHtmlDocument(context.contentType, context.html)) return { skipped: `no Markdown of a ${documentKind(context.contentType)} document` };
    const maxBytes = this.options.maxBytes ?? MAX_CONTENT_BYTES;
    const input = capUtf8(context.html, MAX_INPUT_BYTES);
    const markdown = htmlToMarkdown(input, context.finalUrl || context.url);
    const capped = capWithMarker(markdown, 'Markdown', maxBytes);
    // The DOM itself was cut: the Markdown is incomplete even if it is short.
    const truncated = capped.truncated || input.length < context.html.length;
    const content = capped.truncated || !truncated ? capped.content : markdown + truncationMarker('Markdown', maxBytes);
    return { fields: { markdown: content, ...(truncated ? { markdownTruncated: true } : {}) } };
  }
}

/** The main content of an HTML document as Markdown; `pageUrl` resolves its relative links. */
export function htmlToMarkdown(html: string, pageUrl: string): string {
  const { document } = parseHTML(html);
  const base = baseUrl(document, pageUrl);
  for (const node of Array.from(document.querySelectorAll(NEVER_CONTENT))) node.remove();
  for (const node of Array.from(document.querySelectorAll(CONSENT_BANNERS))) {
    if (!node.isConnected || ['HTML', 'BODY', 'MAIN', 'ARTICLE'].includes(node.tagName)) continue;
    if ((node.textContent ?? '').length <= MAX_BANNER_TEXT) node.remove();
  }
  const article = readArticle(document);
  const root = article?.content ?? fallbackContent(document);
  absolutise(root, base);
  const markdown = converter().turndown(root.outerHTML ?? '').trim();
  const title = (article?.title ?? document.title ?? '').trim();
  // Readability demotes the article's own <h1> (or drops it when it repeats the title): put it back.
  if (title && !markdown.startsWith('# ')) return `# ${title}\n\n${markdown}\n`;
  return `${markdown}\n`;
}

/**
 * The page's main text, as a `since` crawl hashes it (core/changes.ts): what htmlToMarkdown would
 * convert (Readability's article after scripts, styles, hidden elements and consent banners are
 * removed; else the body), with navigation, header, footer, aside and form (and their ARIA roles)
 * removed first, read as the document's text nodes joined by spaces, whitespace-normalised.
 */
export function mainTextOf(html: string): string {
  const { document } = parseHTML(capUtf8(html, MAX_INPUT_BYTES));
  for (const node of Array.from(document.querySelectorAll(NEVER_CONTENT))) node.remove();
  for (const node of Array.from(document.querySelectorAll(CONSENT_BANNERS))) {
    if (!node.isConnected || ['HTML', 'BODY', 'MAIN', 'ARTICLE'].includes(node.tagName)) continue;
    if ((node.textContent ?? '').length <= MAX_BANNER_TEXT) node.remove();
  }
  // A rotating footer, a menu that gained an entry: not the page's content.
  for (const node of Array.from(document.querySelectorAll(BOILERPLATE))) node.remove();
  const root = readArticle(document)?.content ?? fallbackContent(document);
  const texts: string[] = [];
  // Text nodes joined by spaces: textContent would glue a heading to the next paragraph.
  const walk = (node: { nodeType: number; nodeValue: string | null; childNodes: ArrayLike<unknown> }): void => {
    if (node.nodeType === 3) texts.push(node.nodeValue ?? '');
    for (const child of Array.from(node.childNodes)) walk(child as typeof node);
  };
  walk(root as unknown as Parameters<typeof walk>[0]);
  return normaliseMainText(texts.join(' '));
}

type DomElement = ReturnType<ReturnType<typeof parseHTML>['document']['createElement']>;
type DomDocument = ReturnType<typeof parseHTML>['document'];

function readArticle(document: DomDocument): { content: DomElement; title: string } | null {
  // Readability strips classes; keep the ones that name a code block's language for the fences.
  const languages = new Set<string>();
  for (const node of Array.from(document.querySelectorAll('pre[class], code[class]'))) {
    for (const name of node.className.split(/\s+/)) if (/^(language|lang)-/.test(name)) languages.add(name);
  }
  try {
    // Readability mutates the document it reads: it reads a copy, the fallback needs the original.
    const copy = document.cloneNode(true) as unknown as Document;
    const parsed = new Readability<DomElement>(copy, {
      serializer: (node) => node as unknown as DomElement,
      classesToPreserve: [...languages],
      maxElemsToParse: MAX_ELEMENTS_FOR_READABILITY,
    }).parse();
    if (!parsed?.content) return null;
    return { content: parsed.content, title: parsed.title ?? '' };
  } catch {
    // too many elements, or a document Readability cannot handle: convert the body instead
    return null;
  }
}

function fallbackContent(document: DomDocument): DomElement {
  const body = document.body ?? document.documentElement;
  for (const node of Array.from(body.querySelectorAll(BOILERPLATE))) node.remove();
  return body;
}

function baseUrl(document: DomDocument, pageUrl: string): string {
  const href = document.querySelector('base[href]')?.getAttribute('href');
  try {
    return new URL(href ?? '', pageUrl).href;
  } catch {
    return pageUrl;
  }
}

/** Links and images absolute, so the Markdown works wherever it is read. */
function absolutise(root: DomElement, base: string): void {
  const resolve = (node: Element, attribute: string): void => {
    const value = node.getAttribute(attribute);
    if (value === null) return;
    try {
      node.setAttribute(attribute, new URL(value.trim(), base).href);
    } catch {
      node.removeAttribute(attribute);
    }
  };
  for (const node of Array.from(root.querySelectorAll('a[href]'))) resolve(node, 'href');
  for (const node of Array.from(root.querySelectorAll('img[src]'))) resolve(node, 'src');
}

let turndown: TurndownService | undefined;
function converter(): TurndownService {
  if (turndown) return turndown;
  turndown = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '_' });
  turndown.use(gfm);
  // Empty links (icons) and images without a source say nothing in Markdown.
  turndown.addRule('emptyLink', {
    filter: (node) => node.nodeName === 'A' && (node.textContent ?? '').trim() === '' && !node.querySelector('img'),
    replacement: () => '',
  });
  return turndown;
}
