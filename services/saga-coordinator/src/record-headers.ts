import { Headers } from '@fanout/messaging';

export { readHeaders } from '@fanout/messaging';

/**
 * The header names of CONTRIBUTING.md ("Kafka record conventions") and of the dead-letter
 * contract, from the messaging runtime, plus the saga's own.
 */
export const Header = {
  ...Headers,
  sagaId: 'fanout.saga.id',
  sagaName: 'fanout.saga.name',
} as const;
