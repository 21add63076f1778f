import { platformEndpoints, type PlatformEndpoints } from './endpoints';
import { dockerEngineAnswers, startContainerPlatform } from './container-platform';
import { downLocalPlatform, upLocalPlatform } from './local-platform-process';
import { endpointsToEnv, platformAnswers } from './platform-probe';

function exportEndpoints(endpoints: PlatformEndpoints): void {
  // Forked vitest workers inherit this process's environment.
  Object.assign(process.env, endpointsToEnv(endpoints));
}

/**
 * Vitest global setup of the `integration` project: the one way tests get infrastructure.
 * 1. FANOUT_KAFKA_BROKERS (and friends) set: use them, start nothing.
 * 2. A Docker engine answers: testcontainers, stopped after the run.
 * 3. Otherwise the local platform: reuse a healthy one on the fixed ports (leaving it running),
 *    or start one (`npm run stack -- up`) and stop it after the run.
 * FANOUT_STACK_PROFILE / FANOUT_STACK_PORT_OFFSET choose which local stack (default: fixed ports).
 */
export default async function setup(): Promise<(() => Promise<void>) | void> {
  if (process.env.FANOUT_KAFKA_BROKERS) {
    console.log(
      `[test-platform] using the platform from the environment (${process.env.FANOUT_KAFKA_BROKERS})`,
    );
    exportEndpoints(platformEndpoints());
    return;
  }
  if (await dockerEngineAnswers()) {
    console.log('[test-platform] Docker engine found: starting the platform with testcontainers');
    const containers = await startContainerPlatform();
    exportEndpoints(containers.endpoints);
    return () => containers.stop();
  }
  const local = {
    profile: process.env.FANOUT_STACK_PROFILE ?? 'default',
    portOffset: Number(process.env.FANOUT_STACK_PORT_OFFSET ?? 0),
  };
  const fixed = platformEndpoints({});
  if (local.portOffset === 0 && (await platformAnswers(fixed))) {
    console.log('[test-platform] reusing the healthy platform on the fixed ports (left running)');
    exportEndpoints(fixed);
    return;
  }
  console.log(
    `[test-platform] starting the local platform (profile ${local.profile}, port offset ${local.portOffset})`,
  );
  const { endpoints, started } = await upLocalPlatform(local);
  exportEndpoints(endpoints);
  // Stop it afterwards only if this run started it.
  if (started.length > 0) return () => downLocalPlatform(local, started);
}
