// In-process entry for tests and benchmarks: `createSandbox({ port: 0 })`.
export { createSandbox, parseApiKeys, DEFAULT_SANDBOX_API_KEY } from './sandbox';
export type { Sandbox, SandboxOptions } from './sandbox';
export { API_NAMES } from './faults';
export type { ApiName, FaultsInput, FaultsInputArg } from './faults';
export type { SandboxState } from './sandbox-state';
export type { DeclineRule } from './apis/payment';
export type { LatencyDistribution } from './latency';
