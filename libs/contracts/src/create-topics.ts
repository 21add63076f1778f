import type { Admin, ITopicConfig } from 'kafkajs';

// Transient answers while a new topic's metadata spreads across the broker (KRaft).
const TRANSIENT =
  /does not host this topic-partition|leader not available|not the correct controller/i;

/**
 * `admin.createTopics` with `waitForLeaders`, retried while the broker's metadata catches up:
 * right after a create, KRaft can answer "This server does not host this topic-partition" for a
 * moment, and kafkajs surfaces that as a failure. Existing topics count as created.
 */
export async function createTopicsReliably(
  admin: Admin,
  topics: ITopicConfig[],
  { attempts = 10, delayMs = 500 } = {},
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.createTopics({ waitForLeaders: true, topics });
      return;
    } catch (error) {
      if (attempt >= attempts || !TRANSIENT.test((error as Error).message)) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs * attempt));
    }
  }
}
