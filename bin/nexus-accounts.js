#!/usr/bin/env node
// Runs the TypeScript command line through tsx's loader: no build step between a change and a run.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
await main(process.argv);
