// `npm run mcp`: the crawler as an MCP server over stdio, for AI agents (docs/clients.md).
// CRAWLER_URL: the WebSocket URL (a deployed stack's WebSocketUrl, or `npm start`'s ws://127.0.0.1:8080);
// CRAWLER_TOKEN: its connection token, when the stack asks for one. stdout is the protocol's: logs go to stderr.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CrawlerClient } from '../client/index.js';
import { registerTools } from './tools.js';

const url = process.env.CRAWLER_URL ?? 'ws://127.0.0.1:8080';
const token = process.env.CRAWLER_TOKEN || undefined;

let connecting: Promise<CrawlerClient> | undefined;
/**
 * One connection, opened on the first tool call (so the server starts even while the stack does not
 * run yet); the client reconnects by itself, and one that gave up is replaced on the next call.
 */
async function client(): Promise<CrawlerClient> {
  const current = await connecting?.catch(() => undefined);
  if (current && !current.closed) return current;
  connecting = CrawlerClient.connect(url, { token });
  return connecting;
}

const server = new McpServer({ name: 'fanout-crawler', version: '0.1.0' });
registerTools(server, { client });
await server.connect(new StdioServerTransport());
console.error(`fanout-crawler MCP server on stdio; crawler ${url}${token ? ' (with a token)' : ''}`);

const stop = async () => {
  await (await connecting?.catch(() => undefined))?.close();
  process.exit(0);
};
process.stdin.on('close', () => void stop());
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
