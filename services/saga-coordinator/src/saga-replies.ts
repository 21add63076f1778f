import { deadLetterInput } from './saga-dead-letters';
import type { SagaInputStep } from './saga-inputs';
import { extractContext, shortName, startInputSpan } from './saga-tracing';
import { recordTransition } from './saga-transition';
import { sagaKey } from './stored-saga';

/**
 * A reply moves the saga its key names. A reply without a key, for a saga never started, or
 * that the saga rejects is dead-lettered; one the saga ignores (a late duplicate) is logged.
 */
export const applyReply: SagaInputStep = async (ctx, engine, input) => {
  const { origin, eventType, value: reply, inputId, headers, work, now } = input;
  const saga = engine.definition.name;
  const sagaId = origin.message.key?.toString('utf8') ?? '';
  if (sagaId.length === 0) {
    return deadLetterInput(ctx, work, origin, {
      code: 'SAGA_MISSING_KEY',
      reason: `${eventType} has no key (saga id)`,
      saga,
    });
  }
  const key = sagaKey(saga, sagaId);
  const current = work.get(key);
  if (!current) {
    return deadLetterInput(ctx, work, origin, {
      code: 'SAGA_UNKNOWN_SAGA',
      reason: `${eventType} answers saga ${saga} ${sagaId}, which this coordinator never started`,
      sagaId,
      saga,
    });
  }
  const decision = engine.reply(current.state, eventType, reply, inputId, now);
  if (decision.outcome === 'rejected') {
    return deadLetterInput(ctx, work, origin, {
      code: 'SAGA_REPLY_REJECTED',
      reason: decision.reason,
      sagaId,
      saga,
    });
  }
  if (decision.outcome === 'ignored') {
    ctx.log.info({ saga, sagaId, eventType, why: decision.reason }, 'saga reply ignored');
    return;
  }
  const span = startInputSpan(`saga ${saga} ${shortName(eventType)}`, extractContext(headers), {
    'fanout.saga.name': saga,
    'fanout.saga.id': sagaId,
    'fanout.event_type': eventType,
    'messaging.destination.name': origin.topic,
  });
  work.spans.push(span);
  await recordTransition(
    ctx,
    engine,
    { ...input, causationId: inputId },
    {
      key,
      before: current.state,
      next: { ...current, state: decision.state },
      emissions: decision.emit,
      parent: span,
    },
  );
};
