// The archive byte caps reach the crawler's environment in bytes, and bad values stop the synth.
import { describe, expect, it } from 'vitest';
import { synth } from './synth.js';

const MiB = 1024 * 1024;

describe('archive settings', () => {
  it('archiveMaxPageMb and archiveMaxJobMb reach the crawler as ARCHIVE_MAX_PAGE_BYTES / ARCHIVE_MAX_JOB_BYTES', () => {
    const defaults = synth({});
    expect(defaults.resource(defaults.id('CrawlerFunction')).Properties.Environment.Variables).toMatchObject({
      ARCHIVE_MAX_PAGE_BYTES: String(20 * MiB),
      ARCHIVE_MAX_JOB_BYTES: String(1024 * MiB),
    });
    const s = synth({ archiveMaxPageMb: '5', archiveMaxJobMb: 300 });
    expect(s.resource(s.id('CrawlerFunction')).Properties.Environment.Variables).toMatchObject({
      ARCHIVE_MAX_PAGE_BYTES: String(5 * MiB),
      ARCHIVE_MAX_JOB_BYTES: String(300 * MiB),
    });
    // only the crawler records archives
    expect(s.resource(s.id('CrawlFunction')).Properties.Environment.Variables.ARCHIVE_MAX_JOB_BYTES).toBeUndefined();
  });

  it.each([
    [{ archiveMaxPageMb: 0 }, /archiveMaxPageMb must be between 1 and 512/],
    [{ archiveMaxPageMb: 1024 }, /archiveMaxPageMb must be between 1 and 512/],
    [{ archiveMaxJobMb: 'lots' }, /archiveMaxJobMb must be an integer/],
  ])('refuse %o', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });
});
