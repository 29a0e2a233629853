/** Runs the CLI from source (tests and development: `node --conditions=meshgate-source --import tsx src/main.ts`). */
import { main } from './cli.js';

await main(process.argv);
