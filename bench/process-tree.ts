// Samples a process and all its descendants from /proc: peak resident memory of the whole tree
// (and of the part that is not an emulator JVM) and CPU seconds used by every process seen.
// RSS summed over processes counts a shared page once per process that maps it (the node binary
// in every function environment, Chromium's shared memory between its processes); PSS divides each
// shared page among its sharers, so the tree's PSS is the memory it really holds. Both are reported.
import { readdirSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';

const PAGE_BYTES = Number(execSync('getconf PAGESIZE').toString().trim()) || 4096;
const TICKS = Number(execSync('getconf CLK_TCK').toString().trim()) || 100;

interface Proc {
  pid: number;
  ppid: number;
  cpuTicks: number;
  rssBytes: number;
  command: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const command = stat.slice(stat.indexOf('(') + 1, close);
    const fields = stat.slice(close + 2).split(' ');
    const rssPages = Number(readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ')[1]);
    return { pid, ppid: Number(fields[1]), cpuTicks: Number(fields[11]) + Number(fields[12]), rssBytes: rssPages * PAGE_BYTES, command };
  } catch {
    return null;
  }
}

export interface TreeUsage {
  peakRssMb: number;
  /** peak of the tree's summed proportional set size (smaps_rollup), sampled every PSS_EVERY samples */
  peakPssMb: number;
  peakRssWithoutEmulatorsMb: number;
  cpuSeconds: number;
  /** CPU seconds by process name (node, chromium, java …) */
  cpuByCommand: Record<string, number>;
  /** CPU seconds by kind (as peakRssByKind: `node:function:worker` is the crawler's environments) */
  cpuByKind: Record<string, number>;
  /** the same counted from mark() (the timed crawl; start-up and warm-up left out); = cpuByKind without a mark */
  crawlCpuByKind: Record<string, number>;
  /** RSS of the tree over time: [seconds since start, MB] */
  rssCurve: [number, number][];
  /** at the peak: MB and number of processes by kind (a Node process that is a function environment is `node:function`) */
  peakRssByKind: Record<string, { mb: number; processes: number }>;
  /** the same at the PSS peak */
  peakPssByKind: Record<string, { mb: number; processes: number }>;
}

/** Proportional set size in bytes, or 0 when the process is gone or unreadable. */
function pssBytes(pid: number): number {
  try {
    const match = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Reading smaps_rollup walks the page tables of every process: too costly for each RSS sample. */
const PSS_EVERY = 5;

/**
 * `node:function:<name>` for a function environment (its name on the command line, numbering dropped:
 * `worker-1` → `worker`), `node` for any other Node process, else the command.
 */
function kindOf(p: Proc): string {
  if (p.command !== 'node') return p.command;
  try {
    const argv = readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    const runtime = argv.findIndex((a) => a.endsWith('lambda-runtime.ts'));
    if (runtime < 0) return 'node';
    const name = argv[runtime + 1]?.replace(/-\d+$/, '');
    return name ? `node:function:${name}` : 'node:function';
  } catch {
    return 'node';
  }
}

export function sampleTree(rootPid: number, everyMs = 200): { mark(): void; stop(): TreeUsage } {
  const cpuByPid = new Map<number, number>();
  let cpuAtMark: Map<number, number> | undefined;
  const commandByPid = new Map<number, string>();
  const kindByPid = new Map<number, string>();
  let peak = 0;
  let peakWithout = 0;
  let peakPss = 0;
  let peakPssByKind: TreeUsage['peakRssByKind'] = {};
  let samples = 0;
  let peakByKind: TreeUsage['peakRssByKind'] = {};
  const curve: [number, number][] = [];
  const started = Date.now();
  const sample = () => {
    const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => readProc(Number(d))).filter((p): p is Proc => p !== null);
    const children = new Map<number, Proc[]>();
    for (const p of all) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
    const root = all.find((p) => p.pid === rootPid);
    if (!root) return;
    const tree: Proc[] = [];
    const stack = [root];
    while (stack.length > 0) {
      const p = stack.pop()!;
      tree.push(p);
      stack.push(...(children.get(p.pid) ?? []));
    }
    let rss = 0;
    let rssWithout = 0;
    for (const p of tree) {
      rss += p.rssBytes;
      if (p.command !== 'java') rssWithout += p.rssBytes;
      cpuByPid.set(p.pid, Math.max(cpuByPid.get(p.pid) ?? 0, p.cpuTicks));
      // A child seen between fork and exec still shows its parent's command (`node` for a browser
      // being launched): its kind is decided again once its command changes.
      if (!kindByPid.has(p.pid) || commandByPid.get(p.pid) !== p.command) kindByPid.set(p.pid, kindOf(p));
      commandByPid.set(p.pid, p.command);
    }
    /** MB and processes by kind, of the bytes each process holds */
    const byKind = (bytesOf: (p: Proc) => number): TreeUsage['peakRssByKind'] => {
      const kinds: TreeUsage['peakRssByKind'] = {};
      for (const p of tree) {
        const entry = (kinds[kindByPid.get(p.pid) ?? kindOf(p)] ??= { mb: 0, processes: 0 });
        entry.mb += Math.round(bytesOf(p) / 1e6);
        entry.processes++;
      }
      return kinds;
    };
    if (rss > peak) peakByKind = byKind((p) => p.rssBytes);
    if (samples++ % PSS_EVERY === 0) {
      const pssByPid = new Map(tree.map((p) => [p.pid, pssBytes(p.pid)]));
      const pss = [...pssByPid.values()].reduce((sum, bytes) => sum + bytes, 0);
      if (pss > peakPss) {
        peakPss = pss;
        peakPssByKind = byKind((p) => pssByPid.get(p.pid) ?? 0);
      }
    }
    peak = Math.max(peak, rss);
    peakWithout = Math.max(peakWithout, rssWithout);
    curve.push([Math.round((Date.now() - started) / 100) / 10, Math.round(rss / 1e6)]);
  };
  const timer = setInterval(sample, everyMs);
  sample();
  return {
    mark() {
      sample();
      cpuAtMark = new Map(cpuByPid);
    },
    stop() {
      clearInterval(timer);
      const ticks = [...cpuByPid.values()].reduce((a, b) => a + b, 0);
      const cpuByCommand: Record<string, number> = {};
      const cpuByKind: Record<string, number> = {};
      const crawlCpuByKind: Record<string, number> = {};
      for (const [pid, t] of cpuByPid) {
        const command = commandByPid.get(pid) ?? '?';
        cpuByCommand[command] = Math.round(((cpuByCommand[command] ?? 0) + t / TICKS) * 10) / 10;
        const kind = kindByPid.get(pid) ?? '?';
        cpuByKind[kind] = Math.round(((cpuByKind[kind] ?? 0) + t / TICKS) * 10) / 10;
        crawlCpuByKind[kind] = Math.round(((crawlCpuByKind[kind] ?? 0) + (t - (cpuAtMark?.get(pid) ?? 0)) / TICKS) * 10) / 10;
      }
      return { cpuByCommand, cpuByKind, crawlCpuByKind, peakRssByKind: peakByKind, peakRssMb: Math.round(peak / 1e6), peakPssMb: Math.round(peakPss / 1e6), peakPssByKind, peakRssWithoutEmulatorsMb: Math.round(peakWithout / 1e6), cpuSeconds: Math.round((ticks / TICKS) * 10) / 10, rssCurve: curve };
    },
  };
}
