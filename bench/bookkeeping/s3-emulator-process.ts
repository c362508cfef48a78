// The S3 emulator in a process of its own, so the objects it keeps in memory (the manifest, page
// records with --store-pages) are not counted in the load test's own memory. Prints its endpoint.
import { startSqsS3 } from '../../local/emulators/sqs-s3.js';

const emulator = await startSqsS3();
console.log(`ENDPOINT ${emulator.endpoint}`);
const stop = () => void emulator.stop().finally(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
