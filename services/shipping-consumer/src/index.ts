// The participant as a library, for the cross-service suites in test/ (main.ts runs it).
export { shippingConsumer, ShippingKeys } from './shipping-consumer';
export type { ShippingParticipant } from './shipping-consumer';
export { loadShippingConsumerConfig } from './config';
export type { ShippingConsumerConfig } from './config';
export { shipmentRequest } from './shipment-request';
