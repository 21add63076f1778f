import { setTimeout as sleep } from 'node:timers/promises';
import { propagation, ROOT_CONTEXT, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { classifyError } from '@fanout/errors';
import { ConsumedRecord, eventIdOf } from './consumed-event';
import type { ConsumerRuntimeOptions } from './consumer-options';
import { startProcessSpan } from './consumer-spans';
import { priorFailure, type FailureRecord } from './dead-letter';
import type { DedupeStore } from './dedupe-store';
import type { DecodedEvent } from './event-codec';
import type { HandlerInvocation } from './handler-invocation';
import { Headers, headerValue, kafkaHeaderGetter, readHeaders } from './message-headers';
import type { RetryPolicy } from './retry-policy';
import type { RetryForwarder } from './retry-forwarder';
import type { RuntimeEvents } from './runtime-events';
import type { RuntimeLifecycle } from './runtime-lifecycle';
import { Attr } from './tracing';

const NO_HEADERS: IHeaders = Object.freeze({});
const NO_STRING_HEADERS: Record<string, string> = Object.freeze({});

export interface RecordProcessorDeps {
  options: Pick<ConsumerRuntimeOptions, 'groupId' | 'codec'>;
  dedupe: DedupeStore | null;
  retryPolicy: RetryPolicy;
  events: RuntimeEvents;
  tracer: Tracer;
  lifecycle: RuntimeLifecycle;
  handler: HandlerInvocation;
  forwarder: RetryForwarder;
}

/** Takes one record through dedupe, decoding, the handler and its immediate retries. */
export class RecordProcessor {
  constructor(private readonly deps: RecordProcessorDeps) {}

  /** Event ids of a batch already handled, looked up at once (null without dedupe). */
  knownEventIds(messages: KafkaMessage[]): Set<string> | null {
    const dedupe = this.deps.dedupe;
    if (!dedupe) return null;
    const ids: string[] = [];
    for (const message of messages) {
      const id = message.headers?.[Headers.messageId];
      if (id) ids.push(id.toString());
    }
    return dedupe.seenMany(ids);
  }

  /**
   * A replay of this group's own dead letter runs again although its event id is remembered
   * (a dead letter is remembered so that a redelivery does not dead-letter it twice). Replays
   * of other groups' dead letters stay duplicates here. One header lookup per known duplicate.
   */
  private replaysOwnDeadLetter(raw: IHeaders): boolean {
    if (raw[Headers.replayOf] === undefined) return false;
    return (
      headerValue(raw, Headers.replayOf)?.startsWith(`${this.deps.options.groupId}.dlq:`) === true
    );
  }

  /**
   * Handles one record to a final outcome: handled (or a known duplicate), forwarded to a
   * retry tier, or dead-lettered. Returns false only when shutdown interrupted it, so the
   * offset stays uncommitted and the record is redelivered.
   */
  async process(
    topic: string,
    partition: number,
    tier: number,
    message: KafkaMessage,
    known: Set<string> | null,
  ): Promise<boolean> {
    const { dedupe, events, retryPolicy } = this.deps;
    const signal = this.deps.lifecycle.abort.signal;
    const raw = message.headers ?? NO_HEADERS;
    const parent = propagation.extract(ROOT_CONTEXT, raw, kafkaHeaderGetter);
    const where = { topic, partition, offset: message.offset };
    const key = message.key ? message.key.toString('utf8') : null;
    let eventId = headerValue(raw, Headers.messageId) ?? '';
    const span = startProcessSpan(
      this.deps.tracer,
      this.deps.options.groupId,
      topic,
      partition,
      message,
      tier,
      eventId,
      key,
      parent,
    );
    const spanContext = trace.setSpan(parent, span);
    // Only records of a retry tier carry a failure history: decode every header only then.
    const prior = priorFailure(
      raw[Headers.originalTopic] === undefined ? NO_STRING_HEADERS : readHeaders(raw),
      topic,
      partition,
      message.offset,
    );
    const started = performance.now();
    // A record without an event id (poison, a foreign producer) is known by its position;
    // records of our producers carry the id header, so the common path builds no string.
    const position = eventId ? '' : `${topic}/${partition}/${message.offset}`;
    try {
      if (position && dedupe?.seen(position)) {
        events.emit('duplicate', { ...where, eventId: position });
        return true;
      }
      if (
        eventId &&
        (known ? known.has(eventId) : dedupe?.seen(eventId)) &&
        !this.replaysOwnDeadLetter(raw)
      ) {
        span.setAttribute('fanout.duplicate', true);
        events.emit('duplicate', { ...where, eventId });
        return true;
      }
      let decoded: DecodedEvent | null = null;
      let attempts = prior.attempts;
      let firstFailureAt = prior.firstFailureAt;
      for (let attempt = 1; ; attempt += 1) {
        let poison = false;
        try {
          if (decoded === null) {
            poison = true;
            decoded = await this.deps.options.codec.decode(message.value ?? Buffer.alloc(0));
            poison = false;
            if (!eventId) {
              eventId = eventIdOf(decoded.value) ?? position;
              span.setAttribute(Attr.messageId, eventId);
              if (dedupe?.seen(eventId)) {
                events.emit('duplicate', { ...where, eventId });
                return true;
              }
            }
            if (span.isRecording()) span.setAttribute(Attr.eventType, decoded.eventType);
          }
          const event = new ConsumedRecord(
            eventId,
            decoded,
            key,
            topic,
            partition,
            message.offset,
            raw,
            attempts + 1,
            tier,
            prior.originalTopic,
          );
          await this.deps.handler.run(event, spanContext, attempt);
          dedupe?.remember(eventId);
          known?.add(eventId);
          span.setStatus({ code: SpanStatusCode.OK });
          if (events.listenerCount('processed') > 0) {
            events.emit('processed', {
              ...where,
              eventId,
              eventType: decoded.eventType,
              durationMs: performance.now() - started,
              attempts: attempts + 1,
            });
          }
          return true;
        } catch (error) {
          if (signal.aborted) return false;
          const failure = classifyError(error);
          attempts += 1;
          const now = Date.now();
          firstFailureAt ??= now;
          span.addEvent('attempt failed', {
            [Attr.attempt]: attempts,
            [Attr.errorCode]: failure.code,
            'fanout.error.retriable': failure.retriable,
          });
          // Immediate attempts happen on the first delivery only; a tier is one attempt.
          const backoff =
            tier === 0 ? retryPolicy.immediateBackoff(attempt, failure.retriable) : null;
          if (backoff !== null) {
            events.emit('retry', {
              ...where,
              eventId,
              kind: 'immediate',
              tier,
              attempt: attempts,
              code: failure.code,
            });
            await sleep(backoff, undefined, { signal }).catch(() => undefined);
            if (signal.aborted) return false;
            continue;
          }
          const decision = retryPolicy.next(tier, failure.retriable, now);
          const record: FailureRecord = {
            originalTopic: prior.originalTopic,
            originalPartition: prior.originalPartition,
            originalOffset: prior.originalOffset,
            errorCode: failure.code,
            errorMessage: failure.message,
            retriable: failure.retriable,
            attempts,
            firstFailureAt,
            lastFailureAt: now,
          };
          span.setAttribute(Attr.errorCode, failure.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
          const forwarded = await this.deps.forwarder.forward(
            decision,
            message,
            readHeaders(raw),
            record,
            spanContext,
            where,
            eventId,
            poison,
          );
          // A dead letter is final: a redelivery (a restart before its offset was committed)
          // must not dead-letter it again. Retry-tier copies are not remembered: the copy
          // carries the same event id and must still run.
          if (forwarded && decision.kind === 'dead-letter') dedupe?.remember(eventId || position);
          return forwarded;
        }
      }
    } finally {
      span.end();
    }
  }
}
