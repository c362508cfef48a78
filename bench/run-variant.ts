// One variant in its own process, so its whole process tree can be measured on its own.
import type { BenchOptions, VariantResult } from './crawl-rule.js';

const [variant, json] = process.argv.slice(2);
const options = JSON.parse(json ?? '{}') as BenchOptions & { workers: number; apiEnvironments?: 'per-function' | 'shared' };
let result: VariantResult;
if (variant === 'project') result = await (await import('./variant-project.js')).runProject({ ...options, formats: undefined });
else if (variant === 'project-noscroll') result = await (await import('./variant-project.js')).runProject({ ...options, formats: undefined, autoscroll: false });
else if (variant === 'project-formats') result = await (await import('./variant-project.js')).runProject(options);
// render: "http" | "auto" (docs/rendering.md). Crawlee's CheerioCrawler and its adaptive crawler are
// the peers of these two rows; neither package (@crawlee/cheerio, @crawlee/playwright) is installed here.
else if (variant === 'project-http') result = await (await import('./variant-project.js')).runProject({ ...options, formats: undefined, render: 'http' });
else if (variant === 'project-auto') result = await (await import('./variant-project.js')).runProject({ ...options, formats: undefined, render: 'auto' });
else if (variant === 'crawlee') result = await (await import('./variant-crawlee.js')).runCrawlee(options);
else if (variant === 'bare') result = await (await import('./variant-bare.js')).runBare(options);
else throw new Error(`unknown variant ${variant}`);
// Named by the variant that ran (runProject cannot tell project from project-noscroll).
process.stdout.write(`\nRESULT ${JSON.stringify({ ...result, variant })}\n`);
process.exit(0);
