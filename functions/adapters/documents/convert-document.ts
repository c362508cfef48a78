// A document's bytes as text and Markdown, its title from its own metadata, its links: unpdf
// (PDF.js) for PDF, mammoth for DOCX. This runs on whatever a site serves, so the crawler calls it
// only in a worker thread it can terminate (document-reader.ts), never on its own event loop.
import { XMLParser } from 'fast-xml-parser';
import mammoth from 'mammoth';
import { extractLinks, getDocumentProxy, getMeta } from 'unpdf';
import yauzl from 'yauzl';
import TurndownService from 'turndown';
import { gfm } from 'turndown-plugin-gfm';
import type { DocumentKind } from './document-kinds.js';

export interface ConvertedDocument {
  kind: DocumentKind;
  /** from the document's metadata (PDF Info / XMP title, DOCX core properties); '' when it has none */
  title: string;
  text: string;
  markdown: string;
  /** absolute http(s) links the document holds (PDF link annotations, DOCX hyperlinks), once each */
  links: string[];
  /** PDF: its page count */
  pages?: number;
  /** the text was cut at maxChars: the rest of the document was not read */
  truncated?: true;
}

export interface ConvertLimits {
  /** text (and Markdown) read at most, in characters; the rest is not converted */
  maxChars: number;
  /** PDF pages read at most */
  maxPages: number;
  /** links kept at most */
  maxLinks: number;
}

export async function convertDocument(bytes: Uint8Array, kind: DocumentKind, url: string, limits: ConvertLimits): Promise<ConvertedDocument> {
  return kind === 'pdf' ? convertPdf(bytes, url, limits) : convertDocx(bytes, url, limits);
}

async function convertPdf(bytes: Uint8Array, url: string, limits: ConvertLimits): Promise<ConvertedDocument> {
  // The thread that runs this is ended after each document: what PDF.js keeps dies with it.
  const pdf = await getDocumentProxy(bytes);
  const meta = await getMeta(pdf).catch(() => undefined);
  const xmpTitle = meta?.metadata?.get('dc:title');
  const title = clean(typeof meta?.info?.Title === 'string' && meta.info.Title.trim() ? meta.info.Title : typeof xmpTitle === 'string' ? xmpTitle : '');
  const pages: string[] = [];
  let chars = 0;
  let truncated = false;
  const count = Math.min(pdf.numPages, limits.maxPages);
  for (let number = 1; number <= count; number++) {
    const page = await pdf.getPage(number);
    const content = await page.getTextContent();
    let text = '';
    for (const item of content.items) {
      if (!('str' in item)) continue;
      text += item.str + (item.hasEOL ? '\n' : '');
    }
    page.cleanup();
    pages.push(text.trim());
    chars += text.length;
    if (chars >= limits.maxChars) {
      truncated = number < pdf.numPages || chars > limits.maxChars;
      break;
    }
  }
  if (pdf.numPages > count) truncated = true;
  const text = cut(pages.filter(Boolean).join('\n\n'), limits.maxChars);
  const annotated = await extractLinks(pdf).catch(() => ({ links: [] as string[][] }));
  const links = absoluteLinks(annotated.links.flat(), url, limits.maxLinks);
  // PDF text has no structure PDF.js can tell us cheaply: paragraphs as they lie, pages apart.
  const body = pages
    .filter(Boolean)
    .map((page) => escapeMarkdown(page))
    .join('\n\n---\n\n');
  const markdown = cut(`${title ? `# ${escapeMarkdown(title)}\n\n` : ''}${body}\n`, limits.maxChars);
  return { kind: 'pdf', title, text, markdown, links, pages: pdf.numPages, ...(truncated ? { truncated: true as const } : {}) };
}

async function convertDocx(bytes: Uint8Array, url: string, limits: ConvertLimits): Promise<ConvertedDocument> {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [html, raw, core] = await Promise.all([mammoth.convertToHtml({ buffer }), mammoth.extractRawText({ buffer }), coreProperties(buffer)]);
  const title = clean(core.title ?? '');
  // mammoth's HTML is the document's own structure (no page chrome to leave out): turndown alone,
  // here rather than the page product's converter, keeps this thread's imports small.
  const converter = new TurndownService({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '_' });
  converter.use(gfm);
  const converted = converter.turndown(html.value).trim();
  const markdownBody = `${title && !converted.startsWith(`# ${title}`) ? `# ${escapeMarkdown(title)}\n\n` : ''}${converted}\n`;
  const text = raw.value.replace(/\n{3,}/g, '\n\n').trim();
  const hrefs = [...html.value.matchAll(/<a\s[^>]*href="([^"]+)"/g)].map((m) => decodeEntities(m[1]!));
  const truncated = text.length > limits.maxChars || markdownBody.length > limits.maxChars;
  return {
    kind: 'docx',
    title,
    text: cut(text, limits.maxChars),
    markdown: cut(markdownBody, limits.maxChars),
    links: absoluteLinks(hrefs, url, limits.maxLinks),
    ...(truncated ? { truncated: true as const } : {}),
  };
}

/** docProps/core.xml of the package (title, creator…); none when the file lacks it. */
async function coreProperties(buffer: Buffer): Promise<{ title?: string }> {
  const xml = await zipEntry(buffer, 'docProps/core.xml', 1024 * 1024).catch(() => undefined);
  if (!xml) return {};
  const parsed = new XMLParser({ removeNSPrefix: true, processEntities: true }).parse(xml) as { coreProperties?: { title?: unknown } };
  const title = parsed.coreProperties?.title;
  return typeof title === 'string' || typeof title === 'number' ? { title: String(title) } : {};
}

/** One entry of a zip, read only if it is small (a crafted package's core.xml is not a zip bomb here). */
function zipEntry(buffer: Buffer, name: string, maxBytes: number): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(buffer, { lazyEntries: true }, (error, zip) => {
      if (error || !zip) return reject(error ?? new Error('not a zip'));
      zip.on('entry', (entry: yauzl.Entry) => {
        if (entry.fileName !== name) return zip.readEntry();
        if (entry.uncompressedSize > maxBytes) {
          zip.close();
          return resolve(undefined);
        }
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error('unreadable entry'));
          const chunks: Buffer[] = [];
          let size = 0;
          stream.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > maxBytes) stream.destroy(new Error('entry larger than it said'));
            else chunks.push(chunk);
          });
          stream.on('error', reject);
          stream.on('end', () => {
            zip.close();
            resolve(Buffer.concat(chunks).toString('utf8'));
          });
        });
      });
      zip.on('end', () => resolve(undefined));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

function absoluteLinks(hrefs: string[], base: string, max: number): string[] {
  const links = new Set<string>();
  for (const href of hrefs) {
    if (links.size >= max) break;
    try {
      const link = new URL(href.trim(), base);
      if (link.protocol === 'http:' || link.protocol === 'https:') links.add(link.href);
    } catch {
      // not a URL
    }
  }
  return [...links];
}

const clean = (value: string): string => value.replace(/\s+/g, ' ').trim().slice(0, 1000);
const cut = (value: string, max: number): string => (value.length > max ? value.slice(0, max) : value);
const decodeEntities = (value: string): string => value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
/** Text that would read as Markdown syntax at a line's start (#, >, -, 1.) is kept as text. */
const escapeMarkdown = (value: string): string => value.replace(/^(\s*)([#>*+-]|\d+\.)(\s)/gm, '$1\\$2$3');
