import { defineConsumer } from '@fanout/consumer-kit';
import { CrmApi } from '@fanout/downstream';
import { loadCrmConsumerConfig } from './config';
import { crmHandlers } from './mapping';

export const crmConsumer = defineConsumer({
  name: 'crm-consumer',
  api: 'crm',
  loadConfig: loadCrmConsumerConfig,
  topics: (config) => [config.USER_EVENTS_TOPIC, config.ORDER_EVENTS_TOPIC],
  createApi: (client) => new CrmApi(client),
  handlers: crmHandlers,
});
