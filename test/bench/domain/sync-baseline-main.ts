// Bench-only process: the delayed downstream APIs and the synchronous baseline server.
// Usage: node --import tsx test/bench/domain/sync-baseline-main.ts <port> <dbFile>
import { startDelayedApis } from './delayed-apis';
import { startSyncBaseline } from './sync-baseline-server';

const [portArg, dbFile] = process.argv.slice(2);
if (!portArg || !dbFile) {
  console.error('usage: sync-baseline-main.ts <port> <dbFile>');
  process.exit(2);
}
const apis = await startDelayedApis();
const baseline = await startSyncBaseline({ apisUrl: apis.url, dbFile, port: Number(portArg) });
console.log(`baseline ${baseline.url} apis ${apis.url}`);
process.once('SIGTERM', () => {
  // Idle keep-alive sockets of the load generator must not hold the exit.
  setTimeout(() => process.exit(0), 2_000).unref();
  void baseline.app.close().then(() => apis.server.close(() => process.exit(0)));
});
