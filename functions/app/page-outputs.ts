// What a page's products made, put where it is kept: their files in S3 under deterministic keys
// (a retried page overwrites, never adds), their fields in the page record. Runs before the page
// record is stored, so a record that exists names files that exist.
import { formatsOf, type JobRecord } from '../core/job.js';
import { outputObjectKey } from '../core/keys.js';
import type { ProductOutput, RenderedPage, ResultStore, StoredOutput } from '../core/ports.js';

export async function storeOutputs(
  job: JobRecord,
  urlKey: string,
  products: Record<string, ProductOutput> | undefined,
  results: ResultStore,
): Promise<Record<string, StoredOutput> | undefined> {
  if (!products) return undefined;
  const stored: Record<string, StoredOutput> = {};
  for (const [name, output] of Object.entries(products)) {
    const files: Record<string, string> = {};
    await Promise.all(
      (output.files ?? []).map(async (file) => {
        const key = outputObjectKey(job.jobId, urlKey, file.name, file.extension);
        await results.putObject(key, file.body, file.contentType);
        files[file.name] = key;
      }),
    );
    stored[name] = {
      ...(output.fields ? { fields: output.fields } : {}),
      ...(Object.keys(files).length > 0 ? { files } : {}),
      ...(output.skipped !== undefined ? { skipped: output.skipped } : {}),
      ...(output.error !== undefined ? { error: output.error } : {}),
    };
  }
  return stored;
}

/** The rendered page as the record keeps it: no product bytes, and no DOM unless `html` was asked for. */
export function recordedPage(job: JobRecord, rendered: RenderedPage): RenderedPage {
  const { products: _made, ...page } = rendered;
  return formatsOf(job).includes('html') ? page : { ...page, html: '' };
}

/** S3 keys of every file the products made, by file name: the manifest's page entry names them. */
export function outputKeys(outputs: Record<string, StoredOutput> | undefined): Record<string, string> | undefined {
  if (!outputs) return undefined;
  const keys: Record<string, string> = {};
  for (const output of Object.values(outputs)) Object.assign(keys, output.files ?? {});
  return Object.keys(keys).length > 0 ? keys : undefined;
}
