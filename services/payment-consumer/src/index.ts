// The participant as a library, for the cross-service suites in test/ (main.ts runs it).
export { paymentConsumer, PaymentKeys } from './payment-consumer';
export type { PaymentParticipant } from './payment-consumer';
export { loadPaymentConsumerConfig } from './config';
export type { PaymentConsumerConfig } from './config';
