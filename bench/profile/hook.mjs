// Loaded with `node --import` into a crawler environment (NODE_OPTIONS; Node 20 refuses --cpu-prof
// there): profiles the process from its start until SIGTERM (the stack stopping), then writes
// $CPU_PROFILE_DIR/<pid>.cpuprofile, which DevTools opens, and exits.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const dir = process.env.CPU_PROFILE_DIR;
if (dir) {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 500 }, () => session.post('Profiler.start')));
  process.once('SIGTERM', () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(`${dir}/${process.pid}.cpuprofile`, JSON.stringify(result.profile));
      }
      process.exit(0);
    });
  });
}
