// `npm run asyncapi`: writes docs/asyncapi.yaml from the protocol's zod schemas (scripts/asyncapi/).
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { asyncapiYaml } from './asyncapi/document.js';

const target = fileURLToPath(new URL('../docs/asyncapi.yaml', import.meta.url));
writeFileSync(target, asyncapiYaml());
console.log(`wrote ${target}`);
