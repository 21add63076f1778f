#!/usr/bin/env node
// Runs the TypeScript CLI from source through tsx, like every Fanout process.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv);
