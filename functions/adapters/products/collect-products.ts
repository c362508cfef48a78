// Making the page products a job asked for, the same for either renderer: fresh products for the
// page, each collected in turn under its own time budget, a product's failure its own and not the
// page's. The browser's renderer passes its settled tab; the HTTP renderer passes none (null).
import type { Page } from 'puppeteer-core';
import type { Logger, ProductOutput, RenderOptions } from '../../core/ports.js';
import type { PageProduct, ProductContext, ProductRegistry } from './page-product.js';

/** The products a job asks for, fresh for this page; none without a registry or a request. `unknown` says what a missing name is. */
export function productsFor(registry: ProductRegistry | undefined, options: RenderOptions, unknown: (name: string) => Error): PageProduct[] {
  if (!registry || !options.products?.length) return [];
  return options.products.map((request) => {
    const product = registry(request);
    if (!product) throw unknown(request.name);
    return product;
  });
}

/** Each product, one at a time, bounded by `budgetMs`. */
export async function collectProducts(
  tab: Page | null,
  products: PageProduct[],
  context: ProductContext,
  budgetMs: number,
  log: Logger,
): Promise<Record<string, ProductOutput> | undefined> {
  if (products.length === 0) return undefined;
  const made: Record<string, ProductOutput> = {};
  for (const product of products) {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<ProductOutput>((resolve) => {
      timer = setTimeout(() => {
        resolve({ error: `${product.name} did not finish within ${budgetMs} ms` });
        // what the product still runs (an extractor's worker thread) is stopped, not left running
        product.cancel?.();
      }, budgetMs);
    });
    try {
      made[product.name] = await Promise.race([product.collect(tab, context), timeout]);
    } catch (error) {
      made[product.name] = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      clearTimeout(timer);
    }
    if (made[product.name]?.error) log.warn('page product failed', { url: context.url, product: product.name, error: made[product.name]?.error });
  }
  return made;
}
