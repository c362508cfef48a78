// The per-page cap of followed links (core/page-links.ts linksToFollow): the first maxLinksPerPage
// in-scope links in document order are followed, the rest and what the browser only counted are dropped.
import { describe, expect, it } from 'vitest';
import { linksToFollow } from '../../functions/core/page-links.js';
import { admissionBound } from '../../functions/core/page-work.js';
import type { RenderedPage } from '../../functions/core/ports.js';

const origin = 'https://site.test';
const job = { url: `${origin}/`, scope: 'host' as const, include: [], exclude: [] };
const page = (links: string[], extra: Partial<RenderedPage> = {}): RenderedPage => ({
  requestedUrl: `${origin}/`,
  finalUrl: `${origin}/`,
  status: 200,
  contentType: 'text/html',
  title: '',
  html: '',
  links,
  redirectChain: [],
  timings: { navigationMs: 0, settleMs: 0, extractMs: 0, totalMs: 0 },
  ...extra,
});

describe('linksToFollow', () => {
  it('keeps the first maxLinksPerPage in-scope links and counts the rest', () => {
    const links = [...Array.from({ length: 10 }, (_, i) => `${origin}/p/${i}`), 'https://other.test/x', `${origin}/p/1#frag`];
    expect(linksToFollow(job, `${origin}/`, page(links), { maxUrlLength: 2048, maxLinksPerPage: 4 })).toEqual({
      links: [`${origin}/p/0`, `${origin}/p/1`, `${origin}/p/2`, `${origin}/p/3`],
      // out-of-scope and duplicate links are not dropped links: they were never to be followed
      dropped: 6,
    });
  });

  it('adds the links the browser only counted', () => {
    expect(linksToFollow(job, `${origin}/`, page([`${origin}/a`], { linksOmitted: 500 }), { maxUrlLength: 2048, maxLinksPerPage: 10 })).toEqual({ links: [`${origin}/a`], dropped: 500 });
  });

  it('drops nothing of a page whose links are not followed (an error page)', () => {
    expect(linksToFollow(job, `${origin}/`, page([`${origin}/a`, `${origin}/b`], { status: 404, linksOmitted: 9 }), { maxUrlLength: 2048, maxLinksPerPage: 1 })).toEqual({ links: [], dropped: 0 });
  });

  it('the stated bound grows with the cap, not with the page', () => {
    expect(admissionBound(2000)).toEqual({ readRequests: 20, writeRequests: 64, readUnits: 2000, writeUnits: 12127 });
    expect(admissionBound(0).writeUnits).toBe(1);
  });
});
