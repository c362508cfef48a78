// A site on 127.0.0.1 that serves documents instead of pages: a PDF and a DOCX built in the test
// (documents.ts), a DOCX served as bytes of no particular type, and a PDF announced larger than
// the crawler reads (its Content-Length says so; only as much is sent as the client asks for).
import { createServer } from 'node:http';
import { listenOnLoopback } from '../../e2e/support/loopback.js';
import { makeDocx, makePdf } from './documents.js';

export const PDF_TITLE = 'Quarterly report of the fan-out crawler';
export const PDF_LINES = ['Revenue grew by forty percent this quarter.', 'Pages crawled: one million.'];
export const DOCX_TITLE = 'Meeting notes about consent banners';
export const DOCX_PARAGRAPHS = ['We agreed to reject every banner by default.', 'Documents are read from their bytes.'];

export interface DocumentSite {
  origin: string;
  /** paths requested, in order */
  hits: string[];
  close(): Promise<void>;
}

export async function startDocumentSite(options: { hugeBytes: number }): Promise<DocumentSite> {
  const hits: string[] = [];
  let origin = '';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    hits.push(path);
    void (async () => {
      if (path === '/') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>Documents</title><a href="/report.pdf">report</a> <a href="/notes.docx">notes</a> <a href="/huge.pdf">huge</a>`);
      } else if (path === '/report.pdf') {
        res.writeHead(200, { 'content-type': 'application/pdf' });
        res.end(makePdf({ title: PDF_TITLE, lines: PDF_LINES, link: `${origin}/from-pdf` }));
      } else if (path === '/notes.docx' || path === '/download/notes.docx') {
        const docx = await makeDocx({ title: DOCX_TITLE, heading: 'Decisions', paragraphs: DOCX_PARAGRAPHS, link: { text: 'the minutes', href: `${origin}/from-docx` } });
        const type = path === '/notes.docx' ? 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' : 'application/octet-stream';
        res.writeHead(200, { 'content-type': type, ...(path.startsWith('/download') ? { 'content-disposition': 'attachment; filename="notes.docx"' } : {}) });
        res.end(docx);
      } else if (path === '/huge.pdf') {
        const pdf = makePdf({ title: 'Huge', lines: ['too big to read'], padding: options.hugeBytes });
        res.writeHead(200, { 'content-type': 'application/pdf', 'content-length': String(pdf.length) });
        res.end(pdf);
      } else if (path === '/from-pdf' || path === '/from-docx') {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(`<!doctype html><title>${path.slice(1)}</title><p>linked from a document</p>`);
      } else {
        res.writeHead(404).end();
      }
    })();
  });
  const site = await listenOnLoopback(server);
  origin = site.origin;
  return { origin, hits, close: site.stop };
}
