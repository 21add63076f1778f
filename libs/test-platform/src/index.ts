export { platformEndpoints } from './endpoints';
export type { PlatformEndpoints } from './endpoints';
export { uniqueName } from './unique-name';
export { platformAnswers, endpointsToEnv } from './platform-probe';
