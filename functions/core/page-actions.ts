// What a crawl may do on each page after it loads and before it is read (the contract's `actions`),
// and the bounds that keep a page's work finite. Validated here; run by the browser adapter
// (adapters/browser/page-actions.ts).
import { z } from 'zod';

export type PageAction =
  | { scroll: 'bottom' }
  | { click: string }
  | { type: string; text: string }
  | { waitFor: string }
  | { wait: number };

export const ACTION_NAMES = ['scroll', 'click', 'type', 'waitFor', 'wait'] as const;
export type ActionName = (typeof ACTION_NAMES)[number];

export const ACTION_LIMITS = {
  /** steps per page */
  maxActions: 20,
  /** characters of one CSS selector */
  maxSelectorLength: 256,
  /** characters one `type` step may type */
  maxTextLength: 1_000,
  /** the longest `wait` step (ms) */
  maxWaitMs: 10_000,
  /** how long one click, type or waitFor may take before it is skipped (ms) */
  stepTimeoutMs: 5_000,
  /**
   * all steps of one page together (ms): a step that would start later is skipped and noted. Keeps
   * a page within the worker's time (navigation + settle + this + products < the function timeout).
   */
  budgetMs: 15_000,
} as const;

/** The name of an action step: its one key (`type` steps also carry `text`). */
export function actionNameOf(action: PageAction): ActionName {
  if ('scroll' in action) return 'scroll';
  if ('click' in action) return 'click';
  if ('type' in action) return 'type';
  if ('waitFor' in action) return 'waitFor';
  return 'wait';
}

const selector = z.string({ error: (issue) => (issue.code === 'invalid_type' ? 'must be a CSS selector (a string)' : undefined) }).min(1).max(ACTION_LIMITS.maxSelectorLength);

const stepSchemas = {
  scroll: z.strictObject({ scroll: z.literal('bottom', { error: 'the only scroll is "bottom"' }) }),
  click: z.strictObject({ click: selector }),
  type: z.strictObject({
    type: selector,
    text: z.string({ error: (issue) => (issue.code === 'invalid_type' ? 'type needs a text (a string)' : undefined) }).max(ACTION_LIMITS.maxTextLength),
  }),
  waitFor: z.strictObject({ waitFor: selector }),
  wait: z.strictObject({ wait: z.number().int().min(0).max(ACTION_LIMITS.maxWaitMs) }),
} satisfies Record<ActionName, z.ZodType>;

/**
 * One step: an object whose action key says which it is. An unknown key is named in the error
 * (a union's "invalid input" would not say which step or what was wrong).
 */
const step = z.unknown().transform((value, ctx): PageAction => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: `each action must be an object with one of: ${ACTION_NAMES.join(', ')}` });
    return z.NEVER;
  }
  const keys = Object.keys(value);
  const name = ACTION_NAMES.find((n) => keys.includes(n));
  if (!name) {
    const shown = keys.length > 0 ? `unknown action ${JSON.stringify(keys[0]!.slice(0, 64))}` : 'empty action';
    ctx.addIssue({ code: 'custom', message: `${shown}; expected one of: ${ACTION_NAMES.join(', ')}` });
    return z.NEVER;
  }
  const parsed = stepSchemas[name].safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const message = issue.code === 'unrecognized_keys' ? `unknown field(s) in a ${name} action: ${issue.keys.join(', ')}` : issue.message;
      ctx.addIssue({ code: 'custom', message, path: issue.path });
    }
    return z.NEVER;
  }
  return parsed.data as PageAction;
});

export const actionsSchema = z.array(step).max(ACTION_LIMITS.maxActions, { error: `at most ${ACTION_LIMITS.maxActions} actions` });
