// An article's headline, authors, dates and body text: what a news or blog indexer keeps. Each
// field from the most explicit source the page offers: its JSON-LD Article, then meta tags
// (Open Graph article:*, author), then what Readability finds in the rendered DOM.
import { Readability } from '@mozilla/readability';
import type { Extractor } from './types.js';
import { jsonLdBlocks, jsonLdNodes, metaTags, parseSnapshot, typesOf } from './lib/document.js';

const ARTICLE_TYPES = new Set(['Article', 'NewsArticle', 'BlogPosting', 'Report', 'ScholarlyArticle', 'TechArticle', 'LiveBlogPosting', 'OpinionNewsArticle']);
/** The body is cut here (characters); an extractor's whole answer must stay under 1 MiB. */
const MAX_BODY_CHARS = 200_000;

const text = (value: unknown): string | null => (typeof value === 'string' && value.trim() ? value.trim() : null);

/** JSON-LD authors are a string, a Person/Organization, or a list of either. */
function names(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(names);
  if (typeof value === 'string') return value.trim() ? [value.trim()] : [];
  if (value && typeof value === 'object') {
    const name = text((value as Record<string, unknown>).name);
    return name ? [name] : [];
  }
  return [];
}

const article: Extractor = ({ html, finalUrl }) => {
  const document = parseSnapshot(html);
  const tags = metaTags(document);
  const meta = (key: string): string | null => tags.get(key)?.[0] ?? null;
  const ld = jsonLdNodes(jsonLdBlocks(document).blocks).find((node) => typesOf(node).some((type) => ARTICLE_TYPES.has(type))) ?? {};
  // Readability mutates what it reads; nothing else reads this document afterwards.
  let readable: ReturnType<Readability['parse']> = null;
  try {
    readable = new Readability(document as unknown as Document).parse();
  } catch {
    // a page Readability cannot handle still has its declared fields
  }
  const authors = names(ld.author);
  const metaAuthors = [...(tags.get('author') ?? []), ...(tags.get('article:author') ?? [])].filter((a) => !/^https?:/.test(a));
  const body = (readable?.textContent ?? '').replace(/[ \t]+/g, ' ').replace(/\s*\n\s*/g, '\n').trim();
  return {
    url: finalUrl,
    headline: text(ld.headline) ?? text(ld.name) ?? meta('og:title') ?? text(readable?.title) ?? null,
    author: authors.length > 0 ? authors : metaAuthors.length > 0 ? metaAuthors : readable?.byline ? [readable.byline.trim()] : [],
    datePublished: text(ld.datePublished) ?? meta('article:published_time') ?? meta('date') ?? text(readable?.publishedTime) ?? timeElement(document),
    dateModified: text(ld.dateModified) ?? meta('article:modified_time') ?? null,
    publisher: names(ld.publisher)[0] ?? meta('og:site_name') ?? text(readable?.siteName) ?? null,
    description: text(ld.description) ?? meta('description') ?? meta('og:description') ?? text(readable?.excerpt) ?? null,
    body: body.length > MAX_BODY_CHARS ? body.slice(0, MAX_BODY_CHARS) : body,
    ...(body.length > MAX_BODY_CHARS ? { bodyTruncated: true } : {}),
    wordCount: body ? body.split(/\s+/).length : 0,
  };
};

function timeElement(document: ReturnType<typeof parseSnapshot>): string | null {
  const node = document.querySelector('article time[datetime], time[pubdate][datetime], time[datetime]');
  return text(node?.getAttribute('datetime'));
}

export default article;
