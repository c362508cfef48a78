// The order test files start in: longest first, from the durations of an earlier full run
// (test/support/file-seconds.json, refreshed by `npm run test:weights` after a run with the JSON
// reporter). Two workers that take the longest files first end close together; left to vitest, a
// fresh clone (no results cache) starts the largest files first, and a long e2e file that is small
// on disk could start last and run alone at the end.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const seconds = JSON.parse(readFileSync(new URL('./file-seconds.json', import.meta.url), 'utf8')) as Record<string, number>;

/** A file not yet measured: as long as a typical file of its folder. */
function guess(file: string): number {
  if (file.startsWith('test/e2e/')) return 60;
  if (file.startsWith('test/integration/')) return 10;
  return 1;
}

export class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const weight = (spec: TestSpecification) => {
      const file = relative(this.ctx.config.root, spec.moduleId).split('\\').join('/');
      return seconds[file] ?? guess(file);
    };
    return [...files].sort((a, b) => weight(b) - weight(a));
  }
}
