// Bounded parallel work whose results are needed in order (the finisher's S3 reads: the archive is
// written page after page, but one GET at a time makes a 100,000-page job last hours).

/** `fn` over `items`, at most `limit` calls in flight, results yielded in the items' order. */
export async function* mapInOrder<T, R>(items: Iterable<T> | AsyncIterable<T>, limit: number, fn: (item: T) => Promise<R>): AsyncGenerator<R> {
  const window: Promise<R>[] = [];
  try {
    for await (const item of items) {
      const result = fn(item);
      // a failure is thrown where its turn comes; until then it must not count as unhandled
      result.catch(() => {});
      window.push(result);
      if (window.length >= limit) yield await window.shift()!;
    }
    while (window.length > 0) yield await window.shift()!;
  } finally {
    // a consumer that stops early leaves reads in flight: they finish, their results are dropped
    window.length = 0;
  }
}
