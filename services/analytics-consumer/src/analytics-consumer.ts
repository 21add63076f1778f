import { defineConsumer } from '@fanout/consumer-kit';
import { AnalyticsApi } from '@fanout/downstream';
import type { AnalyticsPorts } from './mapping';
import { loadAnalyticsConsumerConfig } from './config';
import { analyticsHandlers } from './mapping';

export const analyticsConsumer = defineConsumer({
  name: 'analytics-consumer',
  api: 'analytics',
  loadConfig: loadAnalyticsConsumerConfig,
  topics: (config) => [config.USER_EVENTS_TOPIC, config.ORDER_EVENTS_TOPIC],
  createApi: (client, { bulkLane, config }): AnalyticsPorts => {
    const analytics = new AnalyticsApi(client);
    // The API takes at most 500 items per batch.
    return {
      track: bulkLane({
        maxSize: Math.min(config.BATCH_MAX_SIZE, 500),
        send: (items) => analytics.batch(items),
      }),
    };
  },
  handlers: analyticsHandlers,
});
