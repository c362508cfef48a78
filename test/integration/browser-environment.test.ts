// What Chromium can read of our environment: only CHROMIUM_ENV. A renderer exploit reads its own
// process's environment; on Lambda ours holds the role's AWS credentials and the function's secrets.
// The browser is launched as the worker launches it on Lambda (no CHROME_PATH), with such variables
// set, and /proc/<pid>/environ of the browser process and every process under it is read.
// Its own file: the browser is one per process, launched here with the environment under test.
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ENV, closeBrowser, getBrowser } from '../../functions/adapters/browser/chromium.js';

const quiet = { debug() {}, info() {}, warn() {}, error() {} };
const planted = {
  AWS_ACCESS_KEY_ID: 'AKIAPLANTEDFORTHETEST',
  AWS_SECRET_ACCESS_KEY: 'planted-secret-access-key',
  AWS_SESSION_TOKEN: 'planted-session-token',
  AWS_REGION: 'eu-west-1',
  AUTH_TOKEN: 'planted-client-token',
  WEBHOOK_SIGNING_SECRET: 'whsec_planted',
};
const saved: Record<string, string | undefined> = {};

/** Every process under `root` (itself included), from /proc's parent links. */
function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, parent] of parents) if (parent === tree[i]) tree.push(pid);
  return tree;
}

function environOf(pid: number): Map<string, string> {
  const variables = new Map<string, string>();
  for (const pair of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const at = pair.indexOf('=');
    if (at > 0) variables.set(pair.slice(0, at), pair.slice(at + 1));
  }
  return variables;
}

beforeAll(async () => {
  for (const [name, value] of Object.entries(planted)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  await closeBrowser();
});

afterAll(async () => {
  await closeBrowser();
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

describe("Chromium's environment", () => {
  it('holds only the allow-listed variables: no AWS credentials, no secrets', async () => {
    const browser = await getBrowser({ log: quiet });
    // a page running makes sure any helper process (GPU, utility, crashpad) has started
    const page = await browser.newPage();
    await page.goto('data:text/html,<p>hello</p>');
    const root = browser.process()?.pid;
    expect(root).toBeTypeOf('number');
    expect(browser.process()?.spawnargs).toContain('--single-process');
    const tree = processTree(root!);
    const environments = tree.map((pid) => ({ pid, env: environOf(pid) }));
    expect(environments.length).toBeGreaterThanOrEqual(1);
    for (const { pid, env } of environments) {
      const values = [...env.values()].join('\n');
      for (const [name, secret] of Object.entries(planted)) expect(values, `${name}'s value in process ${pid}`).not.toContain(secret);
      for (const name of env.keys()) expect(CHROMIUM_ENV, `variable ${name} in process ${pid}`).toContain(name);
    }
    // it still has what it needs
    expect(environments[0]!.env.get('PATH')).toBe(process.env.PATH);
    await page.close();
  });
});
