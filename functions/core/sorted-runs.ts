// An external merge sort over async iterables: items are cut into sorted runs of at most `runSize`,
// each spilled to a RunStore (temporary files on Lambda's /tmp), and read back merged, at most
// `fanIn` runs at a time. So however many items there are, at most max(runSize + one source
// batch, fanIn) of them are held in memory at once; the rest waits in the runs.
// Pure: the store is a port, so the algorithm is tested without files.

/** Where sorted runs wait: one append-once sequence of lines per run. */
export interface RunStore {
  /** stores the lines as a new run and returns its name */
  write(lines: readonly string[]): Promise<string>;
  /** writes a run from a stream of lines (a merge of other runs), never holding them all */
  writeStream(lines: AsyncIterable<string>): Promise<string>;
  read(run: string): AsyncIterable<string>;
  /** the run is not needed any more */
  remove(run: string): Promise<void>;
}

/** A RunStore of one sort, with everything it stored removed by dispose. */
export interface DisposableRunStore extends RunStore {
  dispose(): Promise<void>;
}

export interface SortOptions {
  /** items per run, sorted in memory */
  runSize: number;
  /** runs merged at once */
  fanIn: number;
}

/** What the sort held at most: the structure the bound is asserted on (not bytes, not time). */
export interface SortStats {
  /** the most items held in memory at once (run buffer plus the source batch, or merge heads) */
  maxHeld: number;
  /** runs written, the merged ones included */
  runs: number;
}

export interface SortedRuns<T> {
  /** one full ordered pass over every item; may be called again for another pass */
  pass(): AsyncIterable<T>;
  /** frees the runs */
  dispose(): Promise<void>;
  readonly stats: SortStats;
}

interface Codec<T> {
  encode(item: T): string;
  decode(line: string): T;
}

/**
 * Sorts the items of `batches` (e.g. the pages of a DynamoDB Query) by `compare`. `compare` must
 * be a total order (tie-break on something unique) so every pass yields the same sequence.
 */
export async function sortIntoRuns<T>(
  batches: AsyncIterable<readonly T[]>,
  compare: (a: T, b: T) => number,
  store: RunStore,
  codec: Codec<T>,
  options: SortOptions,
): Promise<SortedRuns<T>> {
  if (options.runSize < 1 || options.fanIn < 2) throw new Error('runSize must be ≥ 1 and fanIn ≥ 2');
  const stats: SortStats = { maxHeld: 0, runs: 0 };
  const held = (n: number) => {
    if (n > stats.maxHeld) stats.maxHeld = n;
  };
  let runs: string[] = [];
  let buffer: T[] = [];
  const flush = async () => {
    if (buffer.length === 0) return;
    buffer.sort(compare);
    runs.push(await store.write(buffer.map(codec.encode)));
    stats.runs++;
    buffer = [];
  };
  for await (const batch of batches) {
    for (const item of batch) {
      buffer.push(item);
      // The batch the source handed over is held too, until the loop has moved past it.
      held(buffer.length + batch.length);
      if (buffer.length >= options.runSize) await flush();
    }
  }
  await flush();

  // Merge runs fanIn at a time until one pass can merge them all.
  while (runs.length > options.fanIn) {
    const merged: string[] = [];
    for (let i = 0; i < runs.length; i += options.fanIn) {
      const group = runs.slice(i, i + options.fanIn);
      if (group.length === 1) {
        merged.push(group[0]!);
        continue;
      }
      const lines = mapAsync(mergeRuns(group, compare, store, codec, held), codec.encode);
      merged.push(await store.writeStream(lines));
      stats.runs++;
      for (const run of group) await store.remove(run);
    }
    runs = merged;
  }

  const finalRuns = runs;
  return {
    stats,
    pass: () => mergeRuns(finalRuns, compare, store, codec, held),
    dispose: async () => {
      for (const run of finalRuns) await store.remove(run);
    },
  };
}

async function* mapAsync<A, B>(items: AsyncIterable<A>, f: (a: A) => B): AsyncGenerator<B> {
  for await (const item of items) yield f(item);
}

/** k-way merge with a binary heap of the runs' current heads: one item per run is held. */
async function* mergeRuns<T>(
  runs: readonly string[],
  compare: (a: T, b: T) => number,
  store: RunStore,
  codec: Codec<T>,
  held: (n: number) => void,
): AsyncGenerator<T> {
  const readers = runs.map((run) => store.read(run)[Symbol.asyncIterator]());
  const heap: { item: T; reader: number }[] = [];
  const less = (a: number, b: number) => compare(heap[a]!.item, heap[b]!.item) < 0;
  const swap = (a: number, b: number) => {
    const t = heap[a]!;
    heap[a] = heap[b]!;
    heap[b] = t;
  };
  const up = (i: number) => {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!less(i, parent)) return;
      swap(i, parent);
      i = parent;
    }
  };
  const down = (i: number) => {
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < heap.length && less(l, smallest)) smallest = l;
      if (r < heap.length && less(r, smallest)) smallest = r;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  try {
    for (let reader = 0; reader < readers.length; reader++) {
      const next = await readers[reader]!.next();
      if (!next.done) {
        heap.push({ item: codec.decode(next.value), reader });
        up(heap.length - 1);
      }
    }
    held(heap.length);
    while (heap.length > 0) {
      const top = heap[0]!;
      yield top.item;
      const next = await readers[top.reader]!.next();
      if (!next.done) {
        heap[0] = { item: codec.decode(next.value), reader: top.reader };
      } else {
        const last = heap.pop()!;
        if (heap.length === 0) break;
        heap[0] = last;
      }
      down(0);
    }
  } finally {
    // A pass given up halfway (an S3 write failed) closes its files.
    await Promise.all(readers.map((reader) => reader.return?.()));
  }
}

/** Runs kept in memory: for tests and wiring without a disk. Holds everything, so no bound. */
export class MemoryRunStore implements DisposableRunStore {
  private readonly runs = new Map<string, readonly string[]>();
  private next = 0;

  async write(lines: readonly string[]): Promise<string> {
    const run = `run-${this.next++}`;
    this.runs.set(run, [...lines]);
    return run;
  }

  async writeStream(lines: AsyncIterable<string>): Promise<string> {
    const all: string[] = [];
    for await (const line of lines) all.push(line);
    return this.write(all);
  }

  async *read(run: string): AsyncGenerator<string> {
    const lines = this.runs.get(run);
    if (!lines) throw new Error(`no run ${run}`);
    yield* lines;
  }

  async remove(run: string): Promise<void> {
    this.runs.delete(run);
  }

  async dispose(): Promise<void> {
    this.runs.clear();
  }

  /** runs still stored */
  get size(): number {
    return this.runs.size;
  }
}
