// render: "auto" — the pure decision: page types, the plan from what a job learned, the comparison
// of an HTTP fetch with the browser's render, the verdicts, and what an app shell looks like.
import { describe, expect, it } from 'vitest';
import {
  afterComparison,
  CHECK_EVERY,
  compareRenders,
  LEARN_SAMPLES,
  looksLikeAppShell,
  MAX_RENDER_TYPES,
  pageTypeOf,
  planRender,
  RenderReason,
  type RenderTypes,
} from '../../functions/core/render-choice.js';

describe('pageTypeOf', () => {
  it('is the first path segment and the depth of the path, ids folded', () => {
    expect(pageTypeOf('https://a.test/')).toBe('/*0');
    expect(pageTypeOf('https://a.test/docs/intro.html')).toBe('/docs*2');
    expect(pageTypeOf('https://a.test/DOCS/a/b')).toBe('/docs*3');
    expect(pageTypeOf('https://a.test/item/123')).toBe(pageTypeOf('https://a.test/item/456'));
    expect(pageTypeOf('https://a.test/123/x')).toBe(pageTypeOf('https://a.test/9/y'));
    expect(pageTypeOf('https://a.test/docs/x')).not.toBe(pageTypeOf('https://a.test/app/x'));
  });
});

describe('planRender', () => {
  it('compares the first pages of a type, in both renderers', () => {
    expect(planRender('https://a.test/docs/1', undefined)).toEqual({ renderer: 'compare', reason: RenderReason.learning });
    expect(planRender('https://a.test/docs/1', { '/docs*2': { s: 1, d: 0 } })).toEqual({ renderer: 'compare', reason: RenderReason.learning });
  });

  it('fetches a type learned as http over HTTP, but checks about one page in CHECK_EVERY in the browser', () => {
    const types: RenderTypes = { '/docs*2': { s: LEARN_SAMPLES, d: 0, v: 'http' } };
    const plans = Array.from({ length: 200 }, (_, i) => planRender(`https://a.test/docs/p${i}`, types));
    const checks = plans.filter((p) => p.renderer === 'compare').length;
    expect(plans.every((p) => p.renderer === 'http' || p.reason === RenderReason.check)).toBe(true);
    // a sample: neither every page nor none
    expect(checks).toBeGreaterThan(200 / CHECK_EVERY / 3);
    expect(checks).toBeLessThan((200 / CHECK_EVERY) * 3);
    // the same URL is always the same choice
    expect(planRender('https://a.test/docs/p7', types)).toEqual(planRender('https://a.test/docs/p7', types));
  });

  it('keeps a type that needed the browser in the browser', () => {
    expect(planRender('https://a.test/app/x', { '/app*2': { s: 1, d: 1, v: 'browser' } })).toEqual({ renderer: 'browser', reason: RenderReason.learnedBrowser });
  });

  it('sends every page to the browser when the job has actions, and new types past the bound', () => {
    expect(planRender('https://a.test/x', undefined, { actions: [{ wait: 1 }] }).renderer).toBe('browser');
    const full: RenderTypes = Object.fromEntries(Array.from({ length: MAX_RENDER_TYPES }, (_, i) => [`/t${i}*1`, { s: 1, d: 0 }]));
    expect(planRender('https://a.test/new/x', full)).toEqual({ renderer: 'browser', reason: RenderReason.tooManyTypes });
    // a type it knows still follows what it learned
    expect(planRender('https://a.test/t1', full).renderer).toBe('compare');
  });
});

describe('compareRenders', () => {
  const text = 'one two three four five six seven eight nine ten';
  it('is the same when HTTP found every link and the text', () => {
    expect(compareRenders({ links: ['a', 'b', 'c'], text }, { links: ['b', 'a'], text }).same).toBe(true);
  });
  it('differs when the browser found a link HTTP did not (a script added it)', () => {
    expect(compareRenders({ links: ['a'], text }, { links: ['a', 'b', 'b'], text })).toMatchObject({ same: false, missingLinks: 1 });
  });
  it('differs when a script added most of the text', () => {
    const c = compareRenders({ links: [], text: 'one two' }, { links: [], text });
    expect(c.same).toBe(false);
    expect(c.textShare).toBeCloseTo(0.2);
  });
});

describe('verdicts', () => {
  it('go to http after LEARN_SAMPLES agreeing pages, to the browser at the first difference, for good', () => {
    let state = afterComparison(undefined, true);
    expect(state.v).toBeUndefined();
    for (let i = 1; i < LEARN_SAMPLES; i++) state = afterComparison(state, true);
    expect(state.v).toBe('http');
    state = afterComparison(state, false);
    expect(state.v).toBe('browser');
    state = afterComparison(state, true);
    expect(state.v).toBe('browser');
  });
});

describe('looksLikeAppShell', () => {
  const content = { words: 300, links: 12, emptyRoot: false, noscriptWarning: false, scripts: 3 };
  it('is not a page with text and links of its own', () => expect(looksLikeAppShell(content)).toBe(false));
  it('is an empty mount point, a noscript warning, or scripts and next to nothing else', () => {
    expect(looksLikeAppShell({ ...content, emptyRoot: true })).toBe(true);
    expect(looksLikeAppShell({ ...content, noscriptWarning: true })).toBe(true);
    expect(looksLikeAppShell({ words: 3, links: 0, emptyRoot: false, noscriptWarning: false, scripts: 1 })).toBe(true);
    // a short page without scripts is just short
    expect(looksLikeAppShell({ words: 3, links: 0, emptyRoot: false, noscriptWarning: false, scripts: 0 })).toBe(false);
  });
});
