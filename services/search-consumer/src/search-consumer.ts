import { defineConsumer } from '@fanout/consumer-kit';
import { SearchApi } from '@fanout/downstream';
import type { SearchPorts } from './mapping';
import { loadSearchConsumerConfig } from './config';
import { searchHandlers } from './mapping';

export const searchConsumer = defineConsumer({
  name: 'search-consumer',
  api: 'search',
  loadConfig: loadSearchConsumerConfig,
  topics: (config) => [config.USER_EVENTS_TOPIC, config.ORDER_EVENTS_TOPIC],
  createApi: (client, { bulkLane, config }): SearchPorts => {
    const search = new SearchApi(client);
    // The API takes at most 1000 operations per request.
    return {
      index: bulkLane({
        maxSize: Math.min(config.BATCH_MAX_SIZE, 1000),
        send: (items) => search.bulk(items),
      }),
    };
  },
  handlers: searchHandlers,
});
