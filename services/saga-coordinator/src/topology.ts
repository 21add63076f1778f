import type { SagaCoordinatorConfig } from './config';
import { EventTypes } from './event-types';
import type { SagaTopics } from './coordinator-options';

type TopicConfig = Pick<
  SagaCoordinatorConfig,
  | 'ORDER_EVENTS_TOPIC'
  | 'SAGA_REPLIES_TOPIC'
  | 'SAGA_STATE_TOPIC'
  | 'SAGA_DEAD_LETTER_TOPIC'
  | 'INVENTORY_COMMANDS_TOPIC'
  | 'PAYMENT_COMMANDS_TOPIC'
  | 'SHIPPING_COMMANDS_TOPIC'
>;

/**
 * Where the order saga's events travel: each participant's commands (and compensations) on its
 * own topic, keyed by order id, so a compensation is never read before the command it undoes;
 * the terminal events on the order topic, next to the OrderPlaced they answer.
 */
export function orderSagaTopics(config: TopicConfig): SagaTopics {
  return {
    inputs: [config.ORDER_EVENTS_TOPIC, config.SAGA_REPLIES_TOPIC],
    replies: config.SAGA_REPLIES_TOPIC,
    state: config.SAGA_STATE_TOPIC,
    deadLetter: config.SAGA_DEAD_LETTER_TOPIC,
    routes: {
      [EventTypes.ReserveInventory]: config.INVENTORY_COMMANDS_TOPIC,
      [EventTypes.ReleaseInventory]: config.INVENTORY_COMMANDS_TOPIC,
      [EventTypes.AuthorizePayment]: config.PAYMENT_COMMANDS_TOPIC,
      [EventTypes.VoidPayment]: config.PAYMENT_COMMANDS_TOPIC,
      [EventTypes.CreateShipment]: config.SHIPPING_COMMANDS_TOPIC,
      [EventTypes.CancelShipment]: config.SHIPPING_COMMANDS_TOPIC,
      [EventTypes.OrderConfirmed]: config.ORDER_EVENTS_TOPIC,
      [EventTypes.OrderCancelled]: config.ORDER_EVENTS_TOPIC,
    },
  };
}
