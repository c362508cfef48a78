// Keeps `npx cdk synth` / `deploy` from asking registry.npmjs.org for a newer CLI.
//
// The CDK CLI does that once a day when its output is a terminal, after the command has run, and
// has no cdk.json switch for it (notices and telemetry have one; see cdk.json) — only the
// CDK_DISABLE_VERSION_CHECK variable in its own environment, which an app cannot set for its parent.
// It skips the check while the stamp file `<CDK_HOME or ~/.cdk>/cache/repo-version-ttl` is less than
// a day old, so the app, when the CLI runs it, marks the check as just done. The advice it would give
// is wrong here anyway: the `latest` aws-cdk (3.x) refuses this app; the project pins the 2.1xxx CLI.
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/** Where the CLI keeps the stamp, resolved the way the CLI resolves it. */
export function versionCheckStampPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CDK_HOME) return join(resolve(env.CDK_HOME), 'cache', 'repo-version-ttl');
  let home: string;
  try {
    home = userInfo().homedir;
  } catch {
    home = homedir();
  }
  if (home === '/var/empty') home = homedir();
  return join(home.trim(), '.cdk', 'cache', 'repo-version-ttl');
}

/**
 * Marks the CLI's version check as done now. Only when the CLI runs this app (it sets CDK_OUTDIR),
 * and never fatal: a read-only home just means the CLI may check.
 */
export function skipCliVersionCheck(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.CDK_OUTDIR || env.CDK_VERSION_CHECK === 'on') return;
  const stamp = versionCheckStampPath(env);
  try {
    mkdirSync(dirname(stamp), { recursive: true });
    const now = new Date();
    try {
      utimesSync(stamp, now, now);
    } catch {
      // The CLI reads only the file's age, not its content.
      writeFileSync(stamp, '');
    }
  } catch {
    // best effort
  }
}
