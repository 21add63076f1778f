// The demo traffic `npm start` sends: three registrations and one order placed by the first
// user just registered (its id read from the POST /users answer), so every demo event is about
// a customer the system knows. Nothing here touches the network: the caller passes each
// service as { ready(), post(path, body) } (test/unit/demo-traffic.test.ts drives it with fakes).

export const DEMO_USERS = ['Ada Lovelace', 'Grace Hopper', 'Alan Turing'];

/** POST /users bodies, with emails unique per run (`stamp`) so a second `npm start` registers too. */
export function demoRegistrations(stamp = Date.now().toString(36)) {
  return DEMO_USERS.map((name) => ({
    email: `${name.split(' ')[0].toLowerCase()}.${stamp}@example.com`,
    name,
    marketingConsent: true,
    locale: 'en-GB',
  }));
}

/** The POST /orders body for a registered customer `{ id, name }`. */
export function demoOrder(customer) {
  return {
    customerId: customer.id,
    items: [{ sku: 'BOOK-001', quantity: 2, unitPrice: 19.99 }],
    currency: 'EUR',
    shippingAddress: {
      recipientName: customer.name,
      line1: '1 Demo Street',
      city: 'Berlin',
      postalCode: '10115',
      country: 'DE',
    },
  };
}

/**
 * Sends the demo traffic. `post` resolves `{ status, body }` (body parsed JSON, or undefined) or
 * undefined when the request failed. Each part is skipped, with a note, while its service does
 * not exist or is not ready; without a registered demo user no order is sent, as an order for a
 * customer nobody registered is not demo traffic (its emails could never go out).
 */
export async function sendDemoTraffic({ userService, orderService, log = console.log, stamp }) {
  log('\n▶ demo traffic');
  const customers = [];
  if (await userService.ready()) {
    for (const registration of demoRegistrations(stamp)) {
      const response = await userService.post('/users', registration);
      const id = response?.status === 201 ? response.body?.id : undefined;
      if (typeof id === 'string') customers.push({ id, name: registration.name });
    }
  } else log('  · user-service is not running: no user registrations sent');
  if (!(await orderService.ready())) log('  · order-service is not running: no orders sent');
  else if (customers.length === 0)
    log('  · no demo user was registered: no order sent (it needs a registered customer)');
  else {
    const response = await orderService.post('/orders', demoOrder(customers[0]));
    const id = response?.status === 202 ? response.body?.id : undefined;
    if (typeof id === 'string') return { customers, order: { id } };
    log(`  · the demo order was not accepted (${response?.status ?? 'no answer'})`);
  }
  return { customers };
}
