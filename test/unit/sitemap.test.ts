// What a sitemap file says (core/sitemap.ts), and where a host's sitemaps are looked for.
import { describe, expect, it } from 'vitest';
import { parseSitemap, sitemapStartsFor } from '../../functions/core/sitemap.js';

describe('parseSitemap', () => {
  it('lists the locations of a urlset, namespaced or not, one entry or many', () => {
    expect(
      parseSitemap(`<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc> https://a.test/one </loc><lastmod>2026-01-01</lastmod></url>
  <url><loc>https://a.test/two?x=1&amp;y=2</loc></url>
  <url><changefreq>daily</changefreq></url>
</urlset>`),
    ).toEqual({ kind: 'urlset', urls: ['https://a.test/one', 'https://a.test/two?x=1&y=2'] });
    expect(parseSitemap('<urlset><url><loc>https://a.test/</loc></url></urlset>')).toEqual({ kind: 'urlset', urls: ['https://a.test/'] });
    expect(parseSitemap('<urlset></urlset>')).toEqual({ kind: 'urlset', urls: [] });
  });
  it('lists the sitemaps of an index', () => {
    expect(parseSitemap('<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap><loc>https://a.test/s1.xml.gz</loc></sitemap><sitemap><loc>https://a.test/s2.xml</loc></sitemap></sitemapindex>')).toEqual({
      kind: 'index',
      sitemaps: ['https://a.test/s1.xml.gz', 'https://a.test/s2.xml'],
    });
  });
  it('says why a file is not a sitemap', () => {
    expect(parseSitemap('<html><body>hello</body></html>')).toMatchObject({ kind: 'invalid', why: 'neither a urlset nor a sitemapindex' });
    expect(parseSitemap('<urlset><url><loc>x</url>')).toMatchObject({ kind: 'invalid', why: expect.stringMatching(/^not XML/) });
    expect(parseSitemap('just text')).toMatchObject({ kind: 'invalid' });
  });
});

describe('sitemapStartsFor', () => {
  it("robots.txt's Sitemap: lines, else /sitemap.xml of the seed's origin", () => {
    expect(sitemapStartsFor('https://a.test/docs/x', [])).toEqual(['https://a.test/sitemap.xml']);
    expect(sitemapStartsFor('https://a.test/', ['https://a.test/s.xml', 'https://a.test/s.xml', 'https://b.test/t.xml'])).toEqual(['https://a.test/s.xml', 'https://b.test/t.xml']);
  });
});
