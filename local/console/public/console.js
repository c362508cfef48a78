// The console page: polls the read-only JSON routes of this port about once a second, and starts
// and cancels crawls over the WebSocket on the same port, as any client of the API would.
// Everything from crawled pages is rendered as text by preact (never as HTML), and links are made
// only from http(s) URLs.
import { html, render, useEffect, useRef, useState } from '/vendor/preact-htm.js';

const POLL_MS = 1000;
const FORMATS = ['html', 'markdown', 'text', 'screenshot', 'archive'];

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return response.json();
}

/** Polls `path` every POLL_MS while `path` is set; one request at a time. */
function usePolled(path) {
  const [state, setState] = useState({ data: null, error: null });
  useEffect(() => {
    if (!path) return setState({ data: null, error: null });
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        const data = await getJson(path);
        if (!stopped) setState({ data, error: null });
      } catch (error) {
        if (!stopped) setState((s) => ({ data: s.data, error: String(error.message ?? error) }));
      }
      if (!stopped) timer = setTimeout(tick, POLL_MS);
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [path]);
  return state;
}

/** One WebSocket to this port, reopened when it closes. */
function useSocket(token, onMessage) {
  const [status, setStatus] = useState('connecting');
  const socket = useRef(null);
  const handler = useRef(onMessage);
  handler.current = onMessage;
  useEffect(() => {
    let closed = false;
    let retry;
    const open = () => {
      const query = token ? `?token=${encodeURIComponent(token)}` : '';
      const ws = new WebSocket(`ws://${location.host}/${query}`);
      socket.current = ws;
      setStatus('connecting');
      ws.onopen = () => setStatus('connected');
      ws.onmessage = (event) => {
        try {
          handler.current(JSON.parse(event.data));
        } catch {
          handler.current({ type: 'unreadable', data: String(event.data) });
        }
      };
      ws.onclose = () => {
        setStatus('disconnected');
        if (!closed) retry = setTimeout(open, 2000);
      };
    };
    open();
    return () => {
      closed = true;
      clearTimeout(retry);
      socket.current?.close();
    };
  }, [token]);
  const send = (message) => {
    if (socket.current?.readyState !== WebSocket.OPEN) return false;
    socket.current.send(JSON.stringify(message));
    return true;
  };
  return { status, send };
}

const safeHref = (url) => {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
};

const seconds = (ms) => (ms == null ? '' : `${(ms / 1000).toFixed(1)} s`);

function CrawlForm({ send, socketStatus }) {
  const [url, setUrl] = useState('');
  const [depth, setDepth] = useState('1');
  const [maxPages, setMaxPages] = useState('');
  const [formats, setFormats] = useState(['html']);
  const [note, setNote] = useState('');
  const submit = (event) => {
    event.preventDefault();
    const request = { action: 'crawl', url: url.trim(), depth: Number(depth), requestId: `console-${Date.now()}` };
    if (maxPages !== '') request.maxPages = Number(maxPages);
    if (formats.join() !== 'html') request.formats = formats;
    setNote(send(request) ? `sent ${request.requestId}` : 'the WebSocket is not open');
  };
  const toggle = (format) => setFormats((f) => (f.includes(format) ? f.filter((x) => x !== format) : [...f, format]));
  return html`<form data-testid="crawl-form" onSubmit=${submit}>
    <label>Seed URL <input type="url" name="url" required placeholder="http://127.0.0.1:8000/" value=${url} onInput=${(e) => setUrl(e.currentTarget.value)} /></label>
    <label>Depth <input type="number" name="depth" min="0" value=${depth} onInput=${(e) => setDepth(e.currentTarget.value)} />
      ${' '}Max pages <input type="number" name="maxPages" min="1" placeholder="default" value=${maxPages} onInput=${(e) => setMaxPages(e.currentTarget.value)} /></label>
    <div class="formats">Formats: ${FORMATS.map(
      (format) => html`<label><input type="checkbox" name=${`format-${format}`} checked=${formats.includes(format)} onChange=${() => toggle(format)} /> ${format}</label>`,
    )}</div>
    <button type="submit" name="start" disabled=${socketStatus !== 'connected'}>Start crawl</button>
    <span class="muted"> ${note}</span>
  </form>`;
}

function Queues({ queues, error }) {
  return html`<section>
    <h2>Queues</h2>
    ${error && html`<p class="muted">${error}</p>`}
    <table data-testid="queues">
      <thead><tr><th>queue</th><th>available</th><th>in flight</th><th>delayed</th></tr></thead>
      <tbody>${(queues ?? []).map(
        (q) => html`<tr data-queue=${q.name}>
          <td>${q.name}</td>
          <td class="num" data-field="ApproximateNumberOfMessages">${q.ApproximateNumberOfMessages}</td>
          <td class="num" data-field="ApproximateNumberOfMessagesNotVisible">${q.ApproximateNumberOfMessagesNotVisible}</td>
          <td class="num" data-field="ApproximateNumberOfMessagesDelayed">${q.ApproximateNumberOfMessagesDelayed}</td>
        </tr>`,
      )}</tbody>
    </table>
    <p class="muted">From SQS GetQueueAttributes. The age of the oldest message is a CloudWatch metric on AWS, not a queue attribute, so it is not shown.</p>
  </section>`;
}

function Jobs({ jobs, error, selected, select, cancel }) {
  return html`<section>
    <h2>Jobs</h2>
    ${error && html`<p class="muted">${error}</p>`}
    <table data-testid="jobs">
      <thead><tr><th>job</th><th>seed</th><th>status</th><th>done</th><th>queued</th><th>failed</th><th>progress</th><th>duration</th><th></th></tr></thead>
      <tbody>${(jobs ?? []).map(
        (job) => html`<tr data-job-id=${job.jobId} class=${job.jobId === selected ? 'selected' : ''}>
          <td><button type="button" name="open" onClick=${() => select(job.jobId)} title=${job.jobId}>${job.jobId.slice(0, 8)}</button></td>
          <td class="url">${job.url}</td>
          <td class=${`status status-${job.status}`} data-field="status">${job.status}</td>
          <td class="num" data-field="done">${job.done}</td>
          <td class="num" data-field="queued">${job.queued}</td>
          <td class="num" data-field="failed">${job.failed}</td>
          <td><progress max="1" value=${job.progress}></progress></td>
          <td class="num">${seconds(job.durationMs)}</td>
          <td>${job.status === 'running' && html`<button type="button" name="cancel" onClick=${() => cancel(job.jobId)}>Cancel</button>`}</td>
        </tr>`,
      )}</tbody>
    </table>
    ${jobs && jobs.length === 0 && html`<p class="muted">No jobs yet.</p>`}
  </section>`;
}

function PageRow({ jobId, page }) {
  const [preview, setPreview] = useState(null);
  const showMarkdown = async () => {
    try {
      const content = await getJson(`/api/jobs/${encodeURIComponent(jobId)}/pages/${page.urlKey}`);
      setPreview(content.markdown ?? '(no Markdown kept for this page)');
    } catch (error) {
      setPreview(String(error.message ?? error));
    }
  };
  const t = page.timings;
  return html`<tr data-url=${page.url}>
    <td class=${`state-${page.state}`} data-field="state">${page.state}</td>
    <td class="num">${page.httpStatus ?? ''}</td>
    <td data-field="title">${page.title ?? ''}${page.error && html`<div class="muted">${page.error}</div>`}</td>
    <td class="url"><a href=${safeHref(page.url)} rel="noreferrer noopener" target="_blank">${page.url}</a></td>
    <td class="num">${t ? html`${seconds(t.totalMs)}<div class="muted">nav ${seconds(t.navigationMs)}</div>` : ''}</td>
    <td class="files">
      ${Object.entries(page.files).map(([name, href]) => html`<a href=${safeHref(href)} target="_blank" rel="noreferrer noopener">${name}</a>`)}
      ${page.hasMarkdown && html`<button type="button" name="markdown" onClick=${showMarkdown}>Markdown</button>`}
      ${page.files.screenshot && html`<img class="shot" alt="screenshot" src=${safeHref(page.files.screenshot)} />`}
      ${preview !== null && html`<pre class="preview" data-testid="markdown-preview">${preview}</pre>`}
    </td>
  </tr>`;
}

function JobDetail({ jobId }) {
  const { data, error } = usePolled(jobId ? `/api/jobs/${encodeURIComponent(jobId)}` : null);
  if (!jobId) return html`<section><h2>Pages</h2><p class="muted">Open a job to see its pages level by level.</p></section>`;
  if (!data) return html`<section><h2>Pages</h2><p class="muted">${error ?? 'loading…'}</p></section>`;
  const { job, levels, levelSizes, errors, outputs } = data;
  return html`<section data-testid="job-detail" data-job-id=${job.jobId}>
    <h2>Job ${job.jobId}</h2>
    <p><span class=${`status status-${job.status}`}>${job.status}</span> · ${job.done} done, ${job.queued} queued, ${job.failed} failed · ${seconds(job.durationMs)}
      ${job.endReason && html` · ${job.endReason}`}</p>
    <p class="outputs">
      ${outputs.manifest && html`<a data-testid="manifest-link" href=${safeHref(outputs.manifest)} target="_blank" rel="noreferrer noopener">manifest.json</a>`}
      ${outputs.pages && html`<a href=${safeHref(outputs.pages)} target="_blank" rel="noreferrer noopener">pages.jsonl</a>`}
      ${outputs.archive && html`<a href=${safeHref(outputs.archive)} target="_blank" rel="noreferrer noopener">archive.wacz</a>`}
    </p>
    ${levels.map(
      (level, depth) => html`<div class="level" data-level=${depth}>
        <h3>Level ${depth} (${levelSizes[depth] > level.length ? `${level.length} of ${levelSizes[depth]} shown; the manifest lists all` : level.length})</h3>
        <table>
          <thead><tr><th>state</th><th>HTTP</th><th>title</th><th>URL</th><th>time</th><th>outputs</th></tr></thead>
          <tbody>${level.map((page) => html`<${PageRow} key=${page.urlKey} jobId=${job.jobId} page=${page} />`)}</tbody>
        </table>
      </div>`,
    )}
    ${errors.length > 0 &&
    html`<h3>Errors (${data.errorCount > errors.length ? `${errors.length} of ${data.errorCount} shown` : errors.length})</h3><ul class="errors" data-testid="errors">${errors.map((e) => html`<li><span class="url">${e.url}</span>: ${e.error}</li>`)}</ul>`}
  </section>`;
}

function App() {
  const [selected, setSelected] = useState(null);
  const [messages, setMessages] = useState([]);
  const [token, setToken] = useState(sessionStorage.getItem('console-token') ?? '');
  const socket = useSocket(token, (message) => {
    setMessages((m) => [...m.slice(-49), message]);
    if (message.type === 'accepted' && typeof message.jobId === 'string') setSelected(message.jobId);
  });
  const jobs = usePolled('/api/jobs');
  const queues = usePolled('/api/queues');
  const cancel = (jobId) => socket.send({ action: 'cancel', jobId, requestId: `console-${Date.now()}` });
  const saveToken = (value) => {
    sessionStorage.setItem('console-token', value);
    setToken(value);
  };
  return html`<header>
      <h1>Crawler console</h1>
      <span class="socket" data-testid="socket-status">WebSocket ${socket.status}</span>
    </header>
    <div class="layout">
      <div>
        <section>
          <h2>Start a crawl</h2>
          <${CrawlForm} send=${socket.send} socketStatus=${socket.status} />
          <details><summary class="muted">token (stacks started with AUTH_TOKEN)</summary>
            <input type="text" name="token" value=${token} onChange=${(e) => saveToken(e.currentTarget.value)} />
          </details>
          <pre class="log" data-testid="messages">${messages.map((m) => JSON.stringify(m)).join('\n')}</pre>
        </section>
        <${Queues} queues=${queues.data?.queues} error=${queues.error} />
      </div>
      <div>
        <${Jobs} jobs=${jobs.data?.jobs} error=${jobs.error} selected=${selected} select=${setSelected} cancel=${cancel} />
        <${JobDetail} jobId=${selected} />
      </div>
    </div>`;
}

const root = document.getElementById('app');
root.textContent = ''; // the "loading" note: preact adds beside what is there
render(html`<${App} />`, root);
