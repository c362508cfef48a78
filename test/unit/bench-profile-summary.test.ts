import { expect, it } from 'vitest';
import { packageOf, summarise, type CpuProfile } from '../../bench/profile/summary.js';

const frame = (functionName: string, url = '') => ({ functionName, url });

it('names the package or project folder of a script', () => {
  expect(packageOf('file:///w/node_modules/@smithy/core/dist-cjs/index.js', 'f')).toBe('@smithy/core');
  expect(packageOf('file:///w/node_modules/a/node_modules/ws/lib/x.js', 'f')).toBe('ws');
  expect(packageOf('file:///w/functions/adapters/browser/renderer.ts', 'f')).toBe('functions/adapters');
  expect(packageOf('node:internal/streams/readable', 'f')).toBe('node:internal');
  expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
  expect(packageOf('', 'writev')).toBe('(native)');
});

it('sums self time by package and inclusive time by area, leaving idle out', () => {
  // root → crawlPage (functions/app) → send (@smithy/core) → sign (@smithy/signature-v4)
  //                                  → render (functions/adapters) → onMessage (puppeteer-core)
  const profile: CpuProfile = {
    nodes: [
      { id: 1, callFrame: frame('(root)'), children: [2, 7] },
      { id: 2, callFrame: frame('crawlPage', 'file:///w/functions/app/crawl-page.ts'), children: [3, 5] },
      { id: 3, callFrame: frame('send', 'file:///w/node_modules/@smithy/core/index.js'), children: [4] },
      { id: 4, callFrame: frame('sign', 'file:///w/node_modules/@smithy/signature-v4/index.js') },
      { id: 5, callFrame: frame('render', 'file:///w/functions/adapters/browser/renderer.ts'), children: [6] },
      { id: 6, callFrame: frame('onMessage', 'file:///w/node_modules/puppeteer-core/lib/x.js') },
      { id: 7, callFrame: frame('(idle)') },
    ],
    samples: [4, 4, 3, 6, 7, 7, 7, 2],
    timeDeltas: [1000, 1000, 500, 2000, 50_000, 50_000, 50_000, 500],
  };
  const summary = summarise(profile);
  expect(summary.busyMs).toBe(5);
  expect(summary.selfByPackage).toEqual([
    ['@smithy/signature-v4', 2],
    ['puppeteer-core', 2],
    ['@smithy/core', 0.5],
    ['functions/app', 0.5],
  ]);
  expect(Object.fromEntries(summary.inclusiveByArea)).toEqual({ 'AWS SDK': 2.5, 'puppeteer + CDP socket': 2, 'crawler code (functions/)': 5 });
});
