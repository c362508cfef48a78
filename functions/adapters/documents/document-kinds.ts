// Which responses are documents the crawler reads as text (PDF, Word's DOCX), by their content
// type, or by the URL's extension when the server only says "a file" (application/octet-stream).
export type DocumentKind = 'pdf' | 'docx';

const BY_TYPE: Record<string, DocumentKind> = {
  'application/pdf': 'pdf',
  'application/x-pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
};

/** Types that say no more than "bytes": the URL's extension decides. */
const UNTYPED = new Set(['', 'application/octet-stream', 'binary/octet-stream', 'application/download', 'application/force-download']);

export function documentKindOf(contentType: string | null, url: string): DocumentKind | undefined {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const typed = BY_TYPE[type];
  if (typed) return typed;
  if (!UNTYPED.has(type)) return undefined;
  let path: string;
  try {
    path = new URL(url).pathname.toLowerCase();
  } catch {
    return undefined;
  }
  if (path.endsWith('.pdf')) return 'pdf';
  if (path.endsWith('.docx')) return 'docx';
  return undefined;
}
