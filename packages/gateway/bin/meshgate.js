#!/usr/bin/env node
// The installed command runs the built JavaScript (npm run build).
import { main } from '../dist/cli.js';

await main(process.argv);
