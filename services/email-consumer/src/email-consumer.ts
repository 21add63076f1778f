import { defineConsumer } from '@fanout/consumer-kit';
import { EmailApi } from '@fanout/downstream';
import { loadEmailConsumerConfig } from './config';
import { emailHandlers } from './mapping';
import { recipientsView } from './recipients-view';

export const emailConsumer = defineConsumer({
  name: 'email-consumer',
  api: 'email',
  loadConfig: loadEmailConsumerConfig,
  topics: (config) => [config.USER_EVENTS_TOPIC, config.ORDER_EVENTS_TOPIC],
  createApi: (client, { config, globalTable }) => ({
    email: new EmailApi(client),
    recipients: globalTable(recipientsView(config.USER_CONTACTS_TOPIC)),
    recipientWaitMs: config.RECIPIENT_WAIT_MS,
  }),
  handlers: emailHandlers,
});
