// An extractor's answer as it will be stored, checked where the extractor ran (its worker thread,
// extract-thread.ts): a value that is not JSON is named precisely instead of being mangled.

const MAX_NESTING = 100;

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
