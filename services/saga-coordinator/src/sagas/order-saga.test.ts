import { describe, expect, it } from 'vitest';
import { SagaEngine } from '@fanout/saga';
import { EventTypes } from '../event-types';
import { cancellationCode, createOrderSaga } from './order-saga';
import type { OrderPlaced } from './order-saga';

const order: OrderPlaced = {
  metadata: { eventId: 'e-1', correlationId: 'c-1' },
  orderId: 'o-1',
  customerId: 'cu-1',
  items: [{ sku: 'SKU-1', quantity: 2, unitPriceMinor: 500 }],
  currency: 'EUR',
  totalMinor: 1_000,
  shippingAddress: { city: 'Berlin' },
};

describe('order saga declaration', () => {
  const engine = new SagaEngine(createOrderSaga());

  it('voids the payment with the authorization id the payment step collected', () => {
    let state = engine.start(order, 'e-1', 0).state;
    const authorized = engine.reply(
      state,
      EventTypes.PaymentAuthorized,
      { authorizationId: 'auth-7' },
      'r-1',
      1,
    );
    if (authorized.outcome !== 'applied') throw new Error(authorized.outcome);
    state = authorized.state;
    const failed = engine.reply(
      state,
      EventTypes.InventoryReservationFailed,
      { failure: { code: 'OUT_OF_STOCK', message: 'gone' } },
      'r-2',
      2,
    );
    if (failed.outcome !== 'applied') throw new Error(failed.outcome);
    expect(failed.emit).toEqual([
      expect.objectContaining({
        eventType: EventTypes.VoidPayment,
        payload: { orderId: 'o-1', authorizationId: 'auth-7' },
      }),
    ]);
    expect(failed.state.failure).toEqual({
      code: 'OUT_OF_STOCK',
      message: 'gone',
      step: 'reserve-inventory',
    });
  });

  it('maps every failure code onto a symbol OrderCancelled accepts', () => {
    expect(cancellationCode('PAYMENT_DECLINED')).toBe('PAYMENT_DECLINED');
    expect(cancellationCode('SAGA_TIMED_OUT')).toBe('STEP_TIMED_OUT');
    expect(cancellationCode('API_ERROR')).toBe('DOWNSTREAM_ERROR');
    expect(cancellationCode('SOMETHING_NEW')).toBe('UNKNOWN');
  });
});
