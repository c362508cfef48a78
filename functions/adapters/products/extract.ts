// Runs the extractor a job named (extractors/<name>.ts) on each page and keeps its JSON. Whatever an
// extractor does wrong stays that page's product error: a throw, a hang (the renderer bounds every
// product's time), or an answer that is not JSON (a function, a cycle, a BigInt, a Map) or is too
// big to keep in a page record and one line of pages.jsonl.
import type { Page } from 'puppeteer-core';
import type { Extractor } from '../../../extractors/index.js';
import type { ProductOutput } from '../../core/ports.js';
import type { PageProduct, ProductContext } from './page-product.js';

/** An extractor's answer, serialised, may be this big. */
export const MAX_EXTRACT_BYTES = 1024 * 1024;
const MAX_NESTING = 100;

export interface ExtractOptions {
  maxBytes?: number;
}

export class ExtractProduct implements PageProduct {
  readonly name = 'extract';
  constructor(
    readonly extractorName: string,
    private readonly extractor: Extractor,
    private readonly options: ExtractOptions = {},
  ) {}

  async collect(tab: Page, context: ProductContext): Promise<ProductOutput> {
    let answer: unknown;
    try {
      answer = await this.extractor({
        page: tab,
        html: context.html,
        url: context.url,
        finalUrl: context.finalUrl,
        status: context.status,
        headers: context.headers,
      });
    } catch (error) {
      return { error: `extractor "${this.extractorName}" failed: ${error instanceof Error ? error.message : String(error)}` };
    }
    const json = toJson(answer, this.options.maxBytes ?? MAX_EXTRACT_BYTES);
    if (!json.ok) return { error: `extractor "${this.extractorName}" returned ${json.reason}` };
    return { fields: { data: json.value } };
  }
}

export type JsonCheck = { ok: true; value: unknown } | { ok: false; reason: string };

/** The value as it will be stored, or why it cannot be: JSON.stringify alone would drop or mangle what is wrong silently. */
export function toJson(value: unknown, maxBytes: number): JsonCheck {
  if (value === undefined) return { ok: false, reason: 'nothing (undefined)' };
  const problem = notJson(value, [], '$');
  if (problem) return { ok: false, reason: `something that is not JSON: ${problem}` };
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    // a toJSON that throws or returns something odd
    return { ok: false, reason: `something that is not JSON: ${(error as Error).message}` };
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) return { ok: false, reason: `${bytes} bytes of JSON, more than the ${maxBytes} allowed` };
  return { ok: true, value: JSON.parse(text) as unknown };
}

function notJson(value: unknown, ancestors: object[], path: string): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${String(value)} at ${path}`;
    case 'bigint':
      return `a BigInt at ${path}`;
    case 'function':
      return `a function at ${path}`;
    case 'symbol':
      return `a symbol at ${path}`;
    case 'undefined':
      return `undefined at ${path}`;
  }
  if (value === null) return undefined;
  const object = value as object;
  if (ancestors.includes(object)) return `a cycle at ${path}`;
  if (ancestors.length >= MAX_NESTING) return `nesting deeper than ${MAX_NESTING} at ${path}`;
  // Dates and other objects that say how to be JSON are fine; a Map or a class instance would
  // silently become {}.
  if (typeof (object as { toJSON?: unknown }).toJSON === 'function') return undefined;
  const inside = [...ancestors, object];
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const problem = notJson(object[i], inside, `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }
  const prototype = Object.getPrototypeOf(object) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return `a ${object.constructor?.name ?? 'non-plain'} object at ${path}`;
  for (const [key, item] of Object.entries(object)) {
    // a property left undefined is left out, as JSON.stringify does: not worth failing a page for
    if (item === undefined) continue;
    const problem = notJson(item, inside, `${path}.${key}`);
    if (problem) return problem;
  }
  return undefined;
}
