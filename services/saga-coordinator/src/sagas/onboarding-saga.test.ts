import { describe, expect, it } from 'vitest';
import { SagaEngine } from '@fanout/saga';
import type { Decision, SagaState } from '@fanout/saga';
import { OnboardingEvents, createOnboardingSaga } from './onboarding-saga';
import type { OnboardingContext } from './onboarding-saga';

const user = {
  metadata: { eventId: 'e-1', correlationId: 'c-1' },
  userId: 'user-1',
  locale: 'en-GB',
  marketingConsent: true,
};

function applied(decision: Decision<OnboardingContext>) {
  if (decision.outcome !== 'applied') throw new Error(`expected applied, got ${decision.outcome}`);
  return decision;
}

describe('onboarding saga (a second saga on the same engine)', () => {
  const engine = new SagaEngine(createOnboardingSaga(1_000));

  it('opens the CRM contact, then sends the welcome email, then reports the user onboarded', () => {
    const started = applied(engine.start(user, 'e-1', 0));
    expect(started.emit.map((e) => e.eventType)).toEqual([OnboardingEvents.CreateCrmContact]);
    const contact = applied(
      engine.reply(
        started.state,
        OnboardingEvents.CrmContactCreated,
        { crmContactId: 'crm-9' },
        'r-1',
        10,
      ),
    );
    expect(contact.emit.map((e) => e.eventType)).toEqual([OnboardingEvents.SendWelcomeEmail]);
    const done = applied(
      engine.reply(contact.state, OnboardingEvents.WelcomeEmailSent, {}, 'r-2', 20),
    );
    expect(done.state.status).toBe('completed');
    expect(done.emit).toEqual([
      {
        kind: 'terminal',
        eventType: OnboardingEvents.UserOnboarded,
        payload: { userId: 'user-1' },
      },
    ]);
  });

  it('deletes the CRM contact it opened when the welcome email fails', () => {
    let state: SagaState<OnboardingContext> = applied(engine.start(user, 'e-1', 0)).state;
    state = applied(
      engine.reply(state, OnboardingEvents.CrmContactCreated, { crmContactId: 'crm-9' }, 'r-1', 10),
    ).state;
    const failed = applied(engine.reply(state, OnboardingEvents.WelcomeEmailFailed, {}, 'r-2', 20));
    expect(failed.emit).toEqual([
      {
        kind: 'compensation',
        step: 'open-crm-contact',
        eventType: OnboardingEvents.DeleteCrmContact,
        payload: { userId: 'user-1', crmContactId: 'crm-9' },
      },
    ]);
    const ended = applied(
      engine.reply(failed.state, OnboardingEvents.CrmContactDeleted, {}, 'r-3', 30),
    );
    expect(ended.state.status).toBe('cancelled');
    expect(ended.emit[0]?.payload).toEqual({
      userId: 'user-1',
      reason: 'EMAIL_UNDELIVERABLE',
      undoneSteps: ['open-crm-contact'],
    });
  });
});
