export {
  startPlatform,
  stopPlatform,
  platformStatus,
  killBroker,
  restartBroker,
  resolveTopology,
  platformVersions,
  healthTopic,
} from './platform';
export type {
  StartOptions,
  StopOptions,
  RunningPlatform,
  PlatformStatus,
  ComponentStatus,
  BrokerFaultOptions,
  PlatformSecurity,
} from './platform';
export { createThrowawayCa, secureDir } from './secure-kafka';
export { provision } from './provision';
export type { ProvisionOptions, ProvisionedPaths } from './provision';
export { compileTopology, endpointsOf, endpointEnv, fixedPorts, allComponents } from './topology';
export type { StackOptions, Topology, StackEndpoints, ComponentName, BrokerNode } from './topology';
export { serviceCatalog, serviceEnv, sharedServiceEnv, sandboxPort } from './services';
export { applyNice, rolePriority } from './process-priority';
export type { ServiceSpec, ServiceRole, ServiceEnvContext } from './services';
export type { ServiceOutcome, ServiceRunOptions } from './service-runner';
export { serviceCommand } from './service-runner';
export { buildServices, compiledServiceEntry } from './service-build';
export { PlatformError, isPlatformError } from './platform-error';
export type { PlatformErrorCode } from './platform-error';
export { cacheRoot, stateDir, repoRoot } from './paths';
export { versions } from './versions';
export { kafkaServerSettings } from './kafka-config';
