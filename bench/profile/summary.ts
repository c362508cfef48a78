// What a V8 CPU profile (.cpuprofile, as DevTools and node:inspector write it) says about where a
// process spent its CPU: self time by package, and inclusive time by area (a sample counts for an
// area when any frame of its stack belongs to it). Pure: unit-tested on a hand-made profile.

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string }; children?: number[] }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** CPU time that was not idle, in ms */
  busyMs: number;
  /** self time by package (`@smithy/core`, `puppeteer-core`, `functions/adapters`, `node:internal`, …), ms, largest first */
  selfByPackage: [string, number][];
  /** inclusive time by area, ms, largest first */
  inclusiveByArea: [string, number][];
}

/** Frames that are not CPU spent on the process's own work. */
const IDLE = new Set(['(idle)']);

/** The package or project folder a script belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const inModules = /.*node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url); // the innermost package
  if (inModules) return inModules[1]!;
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node:internal' : url.split('/')[0]!;
  const project = /\/((?:functions|local|bench)\/[^/]+)\//.exec(url);
  if (project) return project[1]!;
  return '(other)';
}

/** The areas the bench reports: which part of the stack a sample's time went to. */
export const AREAS: Record<string, (pkg: string) => boolean> = {
  'AWS SDK': (p) => p.startsWith('@aws-sdk/') || p.startsWith('@smithy/'),
  'puppeteer + CDP socket': (p) => p === 'puppeteer-core' || p === 'ws' || p === 'debug',
  'crawler code (functions/)': (p) => p.startsWith('functions/'),
  'Powertools': (p) => p.startsWith('@aws-lambda-powertools/'),
  'module loading (tsx, esbuild)': (p) => p === 'tsx' || p === 'esbuild',
};

export function summarise(profile: CpuProfile): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const timeById = new Map<number, number>();
  profile.samples.forEach((id, i) => timeById.set(id, (timeById.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  const packagesOnStack = new Map<number, Set<string>>();
  const stackPackages = (id: number): Set<string> => {
    const known = packagesOnStack.get(id);
    if (known) return known;
    // iterative walk to the root: stacks can be deeper than the recursion limit
    const chain: number[] = [];
    let at: number | undefined = id;
    while (at !== undefined && !packagesOnStack.has(at)) {
      chain.push(at);
      at = parent.get(at);
    }
    let set = at !== undefined ? packagesOnStack.get(at)! : new Set<string>();
    for (const node of chain.reverse()) {
      const frame = byId.get(node)!.callFrame;
      set = new Set(set).add(packageOf(frame.url, frame.functionName));
      packagesOnStack.set(node, set);
    }
    return packagesOnStack.get(id)!;
  };

  let busyUs = 0;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of timeById) {
    const frame = byId.get(id)?.callFrame;
    if (!frame || IDLE.has(frame.functionName)) continue;
    busyUs += us;
    const pkg = packageOf(frame.url, frame.functionName);
    self.set(pkg, (self.get(pkg) ?? 0) + us);
    const onStack = stackPackages(id);
    for (const [area, matches] of Object.entries(AREAS)) if ([...onStack].some(matches)) inclusive.set(area, (inclusive.get(area) ?? 0) + us);
  }
  const ms = (entries: Map<string, number>) => [...entries].map(([k, us]) => [k, Math.round(us / 100) / 10] as [string, number]).sort((a, b) => b[1] - a[1]);
  return { busyMs: Math.round(busyUs / 1000), selfByPackage: ms(self), inclusiveByArea: ms(inclusive) };
}
