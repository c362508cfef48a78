// Refreshes test/support/file-seconds.json (the order test files start in: test/support/sequencer.ts)
// from a full run's JSON report:  npx vitest run --reporter=default --reporter=json --outputFile=/tmp/run.json
//                                 npm run test:weights -- /tmp/run.json
import { readFileSync, writeFileSync } from 'node:fs';
const report = process.argv[2];
if (!report) {
  console.error('usage: npm run test:weights -- <vitest JSON report>');
  process.exit(2);
}
const { testResults } = JSON.parse(readFileSync(report, 'utf8')) as { testResults: { name: string; startTime: number; endTime: number }[] };
const seconds = Object.fromEntries(
  testResults
    // the report may come from another clone: the path from its test/ folder on
    .map((r) => [r.name.slice(r.name.lastIndexOf('/test/') + 1), Math.round((r.endTime - r.startTime) / 100) / 10] as const)
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(new URL('../test/support/file-seconds.json', import.meta.url), `${JSON.stringify(seconds, null, 2)}\n`);
console.log(`${Object.keys(seconds).length} files, ${Object.values(seconds).reduce((a, b) => a + b, 0).toFixed(0)} s of test time`);
