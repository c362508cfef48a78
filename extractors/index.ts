// Every extractor a job may name with `extract: "<name>"`. Imported statically so esbuild bundles
// them into the crawler Lambda (CDK) and the local stack loads exactly the same code.
// To add one: drop `extractors/<name>.ts` (default export: an Extractor, see ./types.ts), add its
// line below, and redeploy; the name is then accepted by the crawl request's schema.
import type { Extractor } from './types.js';
import article from './article.js';
import metadata from './metadata.js';

export const extractors: Readonly<Record<string, Extractor>> = {
  article,
  metadata,
};

export type { Extractor, ExtractorInput, ExtractorPage } from './types.js';
