// Helpers the shipped extractors share: a DOM of the snapshot (linkedom, no browser round trip),
// meta tags, and the JSON-LD blocks a page declares.
import { parseHTML } from 'linkedom';

export type SnapshotDocument = ReturnType<typeof parseHTML>['document'];

export function parseSnapshot(html: string): SnapshotDocument {
  return parseHTML(html || '<html></html>').document;
}

/** The page's base URL: its <base href> resolved against where it was served from. */
export function baseUrlOf(document: SnapshotDocument, pageUrl: string): string {
  try {
    return new URL(document.querySelector('base[href]')?.getAttribute('href') ?? '', pageUrl).href;
  } catch {
    return pageUrl;
  }
}

export function absolute(value: string | null | undefined, base: string): string | null {
  if (!value?.trim()) return null;
  try {
    return new URL(value.trim(), base).href;
  } catch {
    return null;
  }
}

/**
 * Values of <meta> tags by name or property (lower-cased), in document order. Linear in the tags:
 * each value is appended to its list in place (copying the list for each tag was quadratic: 40,000
 * tags of one name took tens of seconds).
 */
export function metaTags(document: SnapshotDocument): Map<string, string[]> {
  const tags = new Map<string, string[]>();
  for (const node of Array.from(document.querySelectorAll('meta[content]'))) {
    const key = (node.getAttribute('property') ?? node.getAttribute('name') ?? node.getAttribute('itemprop') ?? '').trim().toLowerCase();
    const content = node.getAttribute('content');
    if (!key || content === null) continue;
    const values = tags.get(key);
    if (values) values.push(content.trim());
    else tags.set(key, [content.trim()]);
  }
  return tags;
}

/** Every <script type="application/ld+json"> that parses; the ones that do not are counted. */
export function jsonLdBlocks(document: SnapshotDocument): { blocks: unknown[]; invalid: number } {
  const blocks: unknown[] = [];
  let invalid = 0;
  for (const node of Array.from(document.querySelectorAll('script[type]'))) {
    if (!/^\s*application\/ld\+json\s*$/i.test(node.getAttribute('type') ?? '')) continue;
    try {
      blocks.push(JSON.parse((node.textContent ?? '').trim()));
    } catch {
      invalid++;
    }
  }
  return { blocks, invalid };
}

/** The JSON-LD nodes of a block, flattened out of arrays and @graph. */
export function jsonLdNodes(blocks: unknown[]): Record<string, unknown>[] {
  const nodes: Record<string, unknown>[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (!value || typeof value !== 'object') return;
    const node = value as Record<string, unknown>;
    nodes.push(node);
    if (node['@graph']) visit(node['@graph']);
  };
  blocks.forEach(visit);
  return nodes;
}

export function typesOf(node: Record<string, unknown>): string[] {
  const type = node['@type'];
  return (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === 'string');
}
