import { defineConsumer } from '@fanout/consumer-kit';
import { EmailApi } from '@fanout/downstream';
import { loadEmailConsumerConfig } from './config';
import { emailHandlers } from './mapping';
import { RecipientDirectory } from './recipient-directory';

export const emailConsumer = defineConsumer({
  name: 'email-consumer',
  api: 'email',
  loadConfig: loadEmailConsumerConfig,
  topics: (config) => [config.USER_EVENTS_TOPIC, config.ORDER_EVENTS_TOPIC],
  createApi: (client, { config, onClose }) => {
    const recipients = new RecipientDirectory(config.DATA_DIR);
    onClose(() => recipients.close());
    return { email: new EmailApi(client), recipients };
  },
  handlers: emailHandlers,
});
