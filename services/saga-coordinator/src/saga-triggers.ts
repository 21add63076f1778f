import type { Decision } from '@fanout/saga';
import { deadLetterInput } from './saga-dead-letters';
import type { SagaInputStep } from './saga-inputs';
import { extractContext, failSpan, startInputSpan, traceHeaders } from './saga-tracing';
import { recordTransition } from './saga-transition';
import { sagaKey } from './stored-saga';
import type { StoredSaga } from './stored-saga';

/**
 * A trigger starts a saga, keyed by the id the saga reads from it; a redelivered trigger of a
 * saga already started is ignored. A trigger without an id, or one the saga refuses, is
 * dead-lettered.
 */
export const startSaga: SagaInputStep = async (ctx, engine, input) => {
  const { origin, eventType, value: trigger, inputId, headers, work, now } = input;
  const saga = engine.definition.name;
  let sagaId: string;
  try {
    sagaId = engine.definition.sagaId(trigger);
  } catch {
    sagaId = '';
  }
  if (typeof sagaId !== 'string' || sagaId.length === 0) {
    return deadLetterInput(ctx, work, origin, {
      code: 'SAGA_MISSING_KEY',
      reason: `${eventType} carries no saga id`,
      saga,
    });
  }
  const key = sagaKey(saga, sagaId);
  if (work.get(key)) {
    ctx.log.info({ saga, sagaId, eventType }, 'saga already started; redelivered trigger ignored');
    return;
  }
  const span = startInputSpan(`saga ${saga} start`, extractContext(headers), {
    'fanout.saga.name': saga,
    'fanout.saga.id': sagaId,
    'fanout.event_type': eventType,
    'messaging.destination.name': origin.topic,
  });
  work.spans.push(span);
  let decision: Decision<Record<string, unknown>> & { outcome: 'applied' };
  try {
    decision = engine.start(trigger, inputId, now);
  } catch (error) {
    failSpan(span, 'SAGA_UNDECODABLE', String(error));
    return deadLetterInput(ctx, work, origin, {
      code: 'SAGA_UNDECODABLE',
      reason: `${eventType} cannot start saga ${saga}: ${error instanceof Error ? error.message : String(error)}`,
      sagaId,
      saga,
    });
  }
  const correlation =
    typeof (trigger.metadata as Record<string, unknown> | undefined)?.correlationId === 'string'
      ? ((trigger.metadata as Record<string, unknown>).correlationId as string)
      : sagaId;
  const stored: StoredSaga = {
    state: decision.state,
    trace: traceHeaders(span),
    correlationId: correlation,
  };
  ctx.log.info({ saga, sagaId, status: decision.state.status }, 'saga started');
  await recordTransition(
    ctx,
    engine,
    { ...input, causationId: inputId },
    {
      key,
      before: undefined,
      next: stored,
      emissions: decision.emit,
      parent: span,
    },
  );
};
