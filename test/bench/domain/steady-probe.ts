// Steady-rate probe of a running user-service, 10 s of constant arrival:
// npx tsx test/bench/domain/steady-probe.ts http://127.0.0.1:3001 500 <api-key>
import { openLoopLoad } from './open-loop-load';
const [url, rateArg, apiKey] = process.argv.slice(2);
const r = await openLoopLoad({
  url: url!,
  rate: Number(rateArg ?? 100),
  durationS: 10,
  connections: 50,
  path: '/users',
  headers: { 'content-type': 'application/json', 'x-api-key': apiKey ?? 'test-key-0123456789' },
  body: (n) => JSON.stringify({ email: `q${n}-${Date.now()}@x.io`, name: 'Q' }),
});
const s = [...r.latenciesMs].sort((a, b) => a - b);
const p = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!.toFixed(1);
console.log(
  JSON.stringify(r.statuses),
  'p50',
  p(0.5),
  'p90',
  p(0.9),
  'p99',
  p(0.99),
  'max',
  s[s.length - 1]!.toFixed(1),
);
