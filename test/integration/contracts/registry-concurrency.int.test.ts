import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistryClient } from '@fanout/contracts';
import { platformEndpoints, uniqueName } from '@fanout/test-platform';

/**
 * Several instances of a service start at once and each sets the compatibility of the
 * subjects it writes. Apicurio refuses the loser of a simultaneous create with a 409; the
 * saga-coordinator crashed on it when two instances started together (seen in CI).
 */
describe('schema registry client under concurrent instances', () => {
  const clients = Array.from(
    { length: 8 },
    () => new SchemaRegistryClient({ url: platformEndpoints().schemaRegistryUrl }),
  );
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
  });

  it('eight clients setting a fresh subject compatibility at the same moment all succeed', async () => {
    for (let round = 0; round < 5; round += 1) {
      const subject = uniqueName(`race-${round}`);
      const results = await Promise.allSettled(
        clients.map((c) => c.setCompatibility(subject, 'FULL_TRANSITIVE')),
      );
      const refused = results.filter((r) => r.status === 'rejected');
      expect(refused.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
      expect(await clients[0]!.compatibility(subject)).toBe('FULL_TRANSITIVE');
    }
  });
});
