import type { Consumer, KafkaMessage } from 'kafkajs';
import { Headers } from './message-headers';
import { partitionKey, splitKey } from './partition-assignment';
import type { RuntimeLifecycle } from './runtime-lifecycle';

/** When a retry-tier record is due (0 when it carries no due time). */
export function retryDueAt(message: KafkaMessage): number {
  return Number(message.headers?.[Headers.retryDueAt]?.toString() ?? 0);
}

/** Retry-tier partitions paused until their head record is due. */
export class RetryParking {
  private readonly parked = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly consumer: Pick<Consumer, 'pause' | 'resume'>,
    private readonly lifecycle: RuntimeLifecycle,
  ) {}

  /** Pauses one retry-tier partition until its head record is due. */
  park(topic: string, partition: number, dueAt: number): void {
    const key = partitionKey(topic, partition);
    if (this.parked.has(key)) return;
    this.consumer.pause([{ topic, partitions: [partition] }]);
    const timer = setTimeout(
      () => {
        this.parked.delete(key);
        if (this.lifecycle.phase === 'running' && !this.lifecycle.pausedAll) {
          this.consumer.resume([{ topic, partitions: [partition] }]);
        }
      },
      Math.max(0, dueAt - Date.now()) + 5,
    );
    this.parked.set(key, timer);
  }

  /** Pauses again the partitions still waiting (after every partition was resumed). */
  pauseParked(): void {
    for (const key of this.parked.keys()) {
      const [topic, partition] = splitKey(key);
      this.consumer.pause([{ topic, partitions: [partition] }]);
    }
  }

  clear(): void {
    for (const timer of this.parked.values()) clearTimeout(timer);
    this.parked.clear();
  }
}
