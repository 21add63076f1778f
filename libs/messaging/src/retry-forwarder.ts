import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, trace, type Context, type Tracer } from '@opentelemetry/api';
import type { KafkaMessage, Producer } from 'kafkajs';
import { startForwardSpan } from './consumer-spans';
import { failureHeaders, type FailureRecord } from './dead-letter';
import { headerSetter } from './message-headers';
import type { RetryDecision } from './retry-policy';
import type { RuntimeEvents } from './runtime-events';
import type { RuntimeLifecycle } from './runtime-lifecycle';

/** Where a record was consumed, as events report it. */
export interface RecordPosition {
  topic: string;
  partition: number;
  offset: string;
}

export interface RetryForwarderDeps {
  producer: Pick<Producer, 'send'>;
  groupId: string;
  tracer: Tracer;
  events: RuntimeEvents;
  lifecycle: RuntimeLifecycle;
}

/** Copies a failed record to its retry tier or to the dead-letter topic. */
export class RetryForwarder {
  constructor(private readonly deps: RetryForwarderDeps) {}

  /**
   * Sends the record to its retry tier or to the dead-letter topic, and only then reports it
   * finished: the source offset is committed after the copy is durable. A failing broker is
   * retried until it answers or shutdown interrupts (then the source record is redelivered).
   */
  async forward(
    decision: RetryDecision,
    message: KafkaMessage,
    original: Record<string, string>,
    failure: FailureRecord,
    parent: Context,
    where: RecordPosition,
    eventId: string,
    poison: boolean,
  ): Promise<boolean> {
    const { events, lifecycle } = this.deps;
    const deadLetter = decision.kind === 'dead-letter';
    const target = deadLetter ? decision.topic : decision.tier.topic;
    const reason = deadLetter ? (poison ? 'poison' : decision.reason) : undefined;
    const headers = failureHeaders(original, failure, this.deps.groupId, {
      ...(deadLetter ? { reason } : { tier: decision.tier.index, dueAt: decision.dueAt }),
    });
    const span = startForwardSpan(
      this.deps.tracer,
      decision,
      target,
      reason,
      eventId,
      failure,
      parent,
    );
    propagation.inject(trace.setSpan(parent, span), headers, headerSetter);
    try {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await this.deps.producer.send({
            topic: target,
            acks: -1,
            messages: [{ key: message.key, value: message.value, headers }],
          });
          break;
        } catch (error) {
          events.emit('warning', { where: `forward to ${target}`, error });
          await sleep(Math.min(10_000, 200 * 2 ** attempt), undefined, {
            signal: lifecycle.abort.signal,
          }).catch(() => undefined);
          if (lifecycle.abort.signal.aborted || lifecycle.phase === 'stopped') return false;
        }
      }
    } finally {
      span.end();
    }
    if (deadLetter) {
      events.emit('dead-letter', {
        ...where,
        eventId,
        code: failure.errorCode,
        reason: reason!,
        attempts: failure.attempts,
      });
    } else {
      events.emit('retry', {
        ...where,
        eventId,
        kind: 'tier',
        tier: decision.tier.index,
        attempt: failure.attempts,
        code: failure.errorCode,
      });
    }
    return true;
  }
}
