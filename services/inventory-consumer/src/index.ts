// The participant as a library, for the cross-service suites in test/ (main.ts runs it).
export { inventoryConsumer, InventoryKeys } from './inventory-consumer';
export type { InventoryParticipant } from './inventory-consumer';
export { loadInventoryConsumerConfig } from './config';
export type { InventoryConsumerConfig } from './config';
