// The page's self-description: canonical URL, title, description, language, Open Graph, Twitter
// card and JSON-LD blocks, as the page declares them after its scripts ran.
import type { Extractor } from './types.js';
import { absolute, baseUrlOf, jsonLdBlocks, metaTags, parseSnapshot } from './lib/document.js';

/** Repeated tags (og:image, several images) become arrays; single ones stay strings. */
function grouped(tags: Map<string, string[]>, prefix: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [key, values] of tags) {
    if (!key.startsWith(prefix)) continue;
    const name = key.slice(prefix.length);
    if (!name) continue;
    out[name] = values.length === 1 ? values[0]! : values;
  }
  return out;
}

const metadata: Extractor = ({ html, finalUrl, headers }) => {
  const document = parseSnapshot(html);
  const base = baseUrlOf(document, finalUrl);
  const tags = metaTags(document);
  const first = (key: string): string | null => tags.get(key)?.[0] ?? null;
  const { blocks, invalid } = jsonLdBlocks(document);
  return {
    url: finalUrl,
    canonical: absolute(document.querySelector('link[rel~="canonical" i][href]')?.getAttribute('href'), base),
    title: document.title?.trim() || null,
    description: first('description') ?? first('og:description') ?? first('twitter:description'),
    language:
      document.documentElement?.getAttribute('lang')?.trim() ||
      first('og:locale') ||
      headers['content-language']?.split(',')[0]?.trim() ||
      null,
    openGraph: grouped(tags, 'og:'),
    twitter: grouped(tags, 'twitter:'),
    jsonLd: blocks,
    ...(invalid > 0 ? { jsonLdInvalid: invalid } : {}),
  };
};

export default metadata;
