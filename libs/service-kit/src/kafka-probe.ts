import type { Kafka } from 'kafkajs';
import type { CheckResult } from './readiness';

/**
 * A readiness check that asks the cluster for its metadata. A fresh admin client per probe:
 * a cached connection would keep saying "reachable" after the broker has gone.
 */
export function kafkaReachable(kafka: Kafka): () => Promise<CheckResult> {
  return async () => {
    const admin = kafka.admin({ retry: { retries: 0 } });
    try {
      await admin.connect();
      const cluster = await admin.describeCluster();
      return { ok: true, detail: `${cluster.brokers.length} broker(s)` };
    } catch (error) {
      return { ok: false, detail: error instanceof Error ? error.message : String(error) };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  };
}
