// A job's results as a tree a person can browse: DIR/<host>/<url path>.md / .txt / .json / .png,
// one folder per host, files named after URL paths. Naming is pure (TreeNamer, filesFor) and
// unit-tested; writing takes the lines of pages.jsonl as they stream in and fetches screenshots
// over HTTP(S), so the same code gets results from the local stack or a deployed one.
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** One line of jobs/{jobId}/pages.jsonl (the design contract), plus what a download needs. */
export interface ResultLine {
  url: string;
  finalUrl?: string;
  depth?: number;
  status?: number | null;
  title?: string;
  markdown?: string;
  text?: string;
  /** the extractor's output, or {error} */
  data?: unknown;
  /** S3 key of the viewport PNG, and of the full-page one */
  screenshot?: string;
  screenshotFull?: string;
  /** presigned GET URLs of those PNGs (a client without credentials needs them) */
  screenshotUrl?: string;
  screenshotFullUrl?: string;
}

export type TreeFile = { path: string; content: string } | { path: string; fetch: string };

/** What our files end with; a directory named like one of them would clash with a page's file. */
const OUR_EXTENSIONS = /\.(md|txt|json|png)$/i;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;
const MAX_SEGMENT_CHARS = 100;
/** Extensions dropped from page names: /guide.html and /guide are the same page to a reader. */
const PAGE_EXTENSIONS = /\.(html?|xhtml|php|aspx?|jsp)$/i;

const shortHash = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 8);

/** One path segment made safe on Linux, macOS and Windows, and readable (percent-escapes decoded). */
export function safeSegment(raw: string): string {
  let segment: string;
  try {
    segment = decodeURIComponent(raw);
  } catch {
    segment = raw;
  }
  // eslint-disable-next-line no-control-regex
  segment = segment.replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_').replace(/[. ]+$/, (tail) => '_'.repeat(tail.length));
  if (segment === '') return '_';
  if (WINDOWS_RESERVED.test(segment)) segment = `_${segment}`;
  if (segment.length > MAX_SEGMENT_CHARS) segment = `${segment.slice(0, MAX_SEGMENT_CHARS)}~${shortHash(raw)}`;
  return segment;
}

/** The host's folder: host name, and the port when there is one (`127.0.0.1_8000`). */
export function hostFolder(url: URL): string {
  return safeSegment(url.port ? `${url.hostname}_${url.port}` : url.hostname);
}

/** The file name (no extension) a URL gets in its host's folder, before collisions are resolved. */
export function pagePath(url: URL): string {
  const raw = url.pathname.split('/').slice(1);
  if (raw.length === 0 || raw[raw.length - 1] === '') raw[raw.length === 0 ? 0 : raw.length - 1] = 'index';
  const segments = raw.map((segment, i) => {
    const last = i === raw.length - 1;
    const safe = safeSegment(last ? segment.replace(PAGE_EXTENSIONS, '') || segment : segment);
    // A folder may not look like one of our files (/x.md/ beside /x, which writes x.md).
    return !last && OUR_EXTENSIONS.test(safe) ? `${safe}_` : safe;
  });
  if (url.search) segments[segments.length - 1] = `${segments[segments.length - 1]}@${safeSegment(url.search.slice(1))}`;
  return segments.join('/');
}

/**
 * Gives each URL of a job its own base path, `<host>/<path>`: the first URL to want a name gets
 * it, later ones get `-2`, `-3`… (compared case-insensitively, for macOS and Windows).
 */
export class TreeNamer {
  private readonly taken = new Set<string>();

  baseFor(pageUrl: string): string {
    let url: URL;
    try {
      url = new URL(pageUrl);
    } catch {
      url = new URL(`http://unparsed.invalid/${encodeURIComponent(pageUrl)}`);
    }
    const wanted = `${hostFolder(url)}/${pagePath(url)}`;
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? wanted : `${wanted}-${n}`;
      if (!this.taken.has(candidate.toLowerCase())) {
        this.taken.add(candidate.toLowerCase());
        return candidate;
      }
    }
  }
}

/** The files one line becomes, under `base`. Screenshots without a URL cannot be fetched and are left out. */
export function filesFor(line: ResultLine, base: string): TreeFile[] {
  const files: TreeFile[] = [];
  if (typeof line.markdown === 'string') files.push({ path: `${base}.md`, content: line.markdown });
  if (typeof line.text === 'string') files.push({ path: `${base}.txt`, content: line.text });
  if (line.data !== undefined) files.push({ path: `${base}.json`, content: `${JSON.stringify(line.data, null, 2)}\n` });
  if (line.screenshotUrl) files.push({ path: `${base}.png`, fetch: line.screenshotUrl });
  if (line.screenshotFullUrl) files.push({ path: `${base}.full.png`, fetch: line.screenshotFullUrl });
  return files;
}

export interface TreeSummary {
  pages: number;
  files: number;
  /** screenshots named by key only (no presigned URL), and downloads that failed */
  missing: string[];
}

/** Writes the tree under `dir` as the lines arrive; never holds more than one page in memory. */
export async function writeResultsTree(
  dir: string,
  lines: AsyncIterable<ResultLine>,
  download: (url: string) => Promise<Uint8Array> = fetchBytes,
): Promise<TreeSummary> {
  const namer = new TreeNamer();
  const summary: TreeSummary = { pages: 0, files: 0, missing: [] };
  for await (const line of lines) {
    summary.pages++;
    const base = namer.baseFor(line.url);
    if (line.screenshot && !line.screenshotUrl) summary.missing.push(`${line.url}: screenshot ${line.screenshot} has no download URL`);
    for (const file of filesFor(line, base)) {
      const target = join(dir, ...file.path.split('/'));
      let body: string | Uint8Array;
      if ('content' in file) body = file.content;
      else {
        try {
          body = await download(file.fetch);
        } catch (error) {
          summary.missing.push(`${line.url}: ${file.path}: ${(error as Error).message}`);
          continue;
        }
      }
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, body);
      summary.files++;
    }
  }
  return summary;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The lines of a JSONL document served over HTTP(S), parsed one at a time as they arrive. */
export async function* fetchJsonLines<T>(url: string): AsyncGenerator<T> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`GET pages.jsonl: HTTP ${response.status}`);
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    pending += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, newline).trim();
      pending = pending.slice(newline + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  pending += decoder.decode();
  if (pending.trim()) yield JSON.parse(pending) as T;
}
