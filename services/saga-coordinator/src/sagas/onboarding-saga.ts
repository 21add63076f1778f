import { defineSaga, step } from '@fanout/saga';
import type { SagaDefinition } from '@fanout/saga';
import { EventTypes } from '../event-types';

/**
 * User onboarding, the second saga: declared the same way as the order saga and run by the same
 * engine, to show a flow is added as data. When a user registers, open their CRM contact, then
 * send the welcome email; if the email cannot be sent, the contact is removed again.
 */

export const OnboardingEvents = {
  CreateCrmContact: 'fanout.onboarding.CreateCrmContact',
  DeleteCrmContact: 'fanout.onboarding.DeleteCrmContact',
  CrmContactCreated: 'fanout.onboarding.CrmContactCreated',
  CrmContactFailed: 'fanout.onboarding.CrmContactFailed',
  CrmContactDeleted: 'fanout.onboarding.CrmContactDeleted',
  SendWelcomeEmail: 'fanout.onboarding.SendWelcomeEmail',
  WelcomeEmailSent: 'fanout.onboarding.WelcomeEmailSent',
  WelcomeEmailFailed: 'fanout.onboarding.WelcomeEmailFailed',
  UserOnboarded: 'fanout.onboarding.UserOnboarded',
  OnboardingFailed: 'fanout.onboarding.OnboardingFailed',
} as const;

export interface UserRegistered {
  metadata: { eventId: string; correlationId: string };
  userId: string;
  locale: string;
  marketingConsent: boolean;
}

export interface OnboardingContext {
  userId: string;
  locale: string;
  marketingConsent: boolean;
  crmContactId?: string;
}

export function createOnboardingSaga(
  stepTimeoutMs = 60_000,
): SagaDefinition<UserRegistered, OnboardingContext> {
  const openCrmContact = step<OnboardingContext>({
    name: 'open-crm-contact',
    action: {
      eventType: OnboardingEvents.CreateCrmContact,
      build: (user) => ({ userId: user.userId, marketingConsent: user.marketingConsent }),
    },
    compensation: {
      eventType: OnboardingEvents.DeleteCrmContact,
      build: (user) => ({ userId: user.userId, crmContactId: user.crmContactId ?? null }),
    },
    succeededOn: [OnboardingEvents.CrmContactCreated],
    failedOn: [OnboardingEvents.CrmContactFailed],
    compensatedOn: [OnboardingEvents.CrmContactDeleted],
    timeoutMs: stepTimeoutMs,
    collect: (user, reply) => ({ ...user, crmContactId: String(reply.crmContactId) }),
  });

  const sendWelcomeEmail = step<OnboardingContext>({
    name: 'send-welcome-email',
    action: {
      eventType: OnboardingEvents.SendWelcomeEmail,
      build: (user) => ({ userId: user.userId, locale: user.locale }),
    },
    succeededOn: [OnboardingEvents.WelcomeEmailSent],
    failedOn: [OnboardingEvents.WelcomeEmailFailed],
    timeoutMs: stepTimeoutMs,
    reason: () => ({
      code: 'EMAIL_UNDELIVERABLE',
      message: 'the welcome email could not be sent',
      step: 'send-welcome-email',
    }),
  });

  return defineSaga<UserRegistered, OnboardingContext>({
    name: 'onboarding',
    startsOn: EventTypes.UserRegistered,
    sagaId: (user) => user.userId,
    initialContext: (user) => ({
      userId: user.userId,
      locale: user.locale,
      marketingConsent: user.marketingConsent,
    }),
    flow: [openCrmContact, sendWelcomeEmail],
    completed: {
      eventType: OnboardingEvents.UserOnboarded,
      build: (user) => ({ userId: user.userId }),
    },
    cancelled: {
      eventType: OnboardingEvents.OnboardingFailed,
      build: (user, _sagaId, reason, undone) => ({
        userId: user.userId,
        reason: reason.code,
        undoneSteps: [...undone],
      }),
    },
    timeoutMs: stepTimeoutMs * 3,
  });
}
