import { describe, expect, it } from 'vitest';
import { EventTypes } from './event-types';
import { SagaRegistry } from './saga-registry';
import { OnboardingEvents, createOnboardingSaga } from './sagas/onboarding-saga';
import { createOrderSaga } from './sagas/order-saga';

describe('saga registry', () => {
  const registry = SagaRegistry.of([createOrderSaga(), createOnboardingSaga()]);

  it('routes each trigger and reply to its own saga when two sagas run side by side', () => {
    expect(registry.triggeredBy(EventTypes.OrderPlaced)?.definition.name).toBe('order');
    expect(registry.triggeredBy(EventTypes.UserRegistered)?.definition.name).toBe('onboarding');
    expect(registry.answeredBy(EventTypes.PaymentDeclined)?.definition.name).toBe('order');
    expect(registry.answeredBy(OnboardingEvents.CrmContactCreated)?.definition.name).toBe(
      'onboarding',
    );
    expect(registry.answeredBy(EventTypes.OrderPlaced)).toBeUndefined();
  });

  it('lists every event type the sagas emit, so each gets a topic before start', () => {
    expect(registry.emittedTypes()).toEqual(
      expect.arrayContaining([
        EventTypes.ReserveInventory,
        EventTypes.ReleaseInventory,
        EventTypes.CancelShipment,
        EventTypes.OrderConfirmed,
        EventTypes.OrderCancelled,
        OnboardingEvents.DeleteCrmContact,
      ]),
    );
  });

  it('refuses two sagas that claim the same trigger', () => {
    expect(() =>
      SagaRegistry.of([
        createOrderSaga(),
        { ...createOnboardingSaga(), startsOn: EventTypes.OrderPlaced },
      ]),
    ).toThrow(/two sagas start on fanout.order.OrderPlaced/);
  });
});
