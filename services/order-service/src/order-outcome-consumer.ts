import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kafka } from 'kafkajs';
import type { RegistryCodec } from '@fanout/contracts';
import { createConsumerRuntime } from '@fanout/messaging';
import type { ConsumerRuntime } from '@fanout/messaging';
import { backoffDelay } from '@fanout/service-kit';
import type { Logger } from '@fanout/telemetry';
import { applyOrderOutcome } from './order-outcomes';
import type { OrderRepository } from './order-repository';

export interface OrderOutcomeConsumerOptions {
  kafka: Kafka;
  codec: RegistryCodec;
  orders: OrderRepository;
  topic: string;
  groupId: string;
  dataDir: string;
  logger: Logger;
}

/**
 * Consumes OrderConfirmed and OrderCancelled and moves orders on. Started in the background:
 * the HTTP API is up while Kafka is not, and the consumer joins its group once Kafka answers.
 */
export class OrderOutcomeConsumer {
  private runtime: ConsumerRuntime | undefined;
  private stopped = false;
  private starting: Promise<void> | undefined;

  constructor(private readonly options: OrderOutcomeConsumerOptions) {}

  get running(): boolean {
    return this.runtime !== undefined;
  }

  start(): void {
    this.starting = this.startWithRetry();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.starting;
    await this.runtime?.stop();
  }

  private create(): ConsumerRuntime {
    const { kafka, codec, orders, topic, groupId, dataDir, logger } = this.options;
    return createConsumerRuntime({
      kafka,
      codec,
      groupId,
      topics: [topic],
      dedupe: { dataDir: join(dataDir, 'dedupe') },
      handler: async (event) => {
        const result = applyOrderOutcome(orders, event.eventType, event.value);
        if (result !== 'ignored-other-event') {
          const orderId = (event.value as { orderId?: string }).orderId;
          logger.info(
            { eventId: event.eventId, eventType: event.eventType, orderId, result },
            'order outcome',
          );
        }
      },
    });
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopped; attempt += 1) {
      const runtime = this.create();
      try {
        await runtime.start();
        if (this.stopped) {
          await runtime.stop();
          return;
        }
        this.runtime = runtime;
        return;
      } catch (error) {
        await runtime.stop().catch(() => undefined);
        const delay = backoffDelay(attempt, { initialMs: 500, maxMs: 15_000 });
        this.options.logger.warn(
          { err: error, retryInMs: delay },
          'order outcome consumer could not start',
        );
        await sleep(delay);
      }
    }
  }
}
