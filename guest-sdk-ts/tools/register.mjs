// `node --import <this file>`: lets node run TypeScript strategy code and tests.
// Registers tools/ts-hooks.mjs (see there) for this process and the test processes it starts.
import { register } from 'node:module';

register('./ts-hooks.mjs', import.meta.url);
