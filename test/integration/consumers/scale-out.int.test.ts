import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol } from 'kafkajs';
import type { Kafka, Producer } from 'kafkajs';
import type { EventType, EventTypes, RegistryCodec } from '@fanout/contracts';
import type { Sandbox } from '@fanout/sandbox-apis/sandbox';
import { freePort, ServiceProcess } from '../domain/support/service-process';
import {
  consumerHarness,
  PARTITIONS,
  consumerEnv,
  createConsumerTopics,
  effects,
  eventually,
  orderConfirmed,
  readTopic,
  userContact,
  userRegistered,
} from './consumer-fixtures';
import type { ConsumerTopics } from './consumer-fixtures';

/**
 * Issue 12: consumers that need state scale out. Two email-consumer instances (one group) and two
 * crm-consumer instances (another group) as real processes. Each order is placed on a partition
 * other than its customer's registration, so the instance that sends an order's email is often
 * not the one that saw the registration: it finds the address in its view of the user table
 * topic, which every instance reads whole. One instance of each group is SIGKILLed mid-stream.
 */
describe('two instances per consumer group, one SIGKILLed mid-stream', () => {
  const USERS = 24;
  const ROUNDS = 6;
  let kafka: Kafka;
  let codec: RegistryCodec;
  let producer: Producer;
  let sandbox: Sandbox;
  let topics: ConsumerTopics;
  const instances: ServiceProcess[] = [];
  const groups = { email: '', crm: '' };

  const users = Array.from({ length: USERS }, () => userRegistered());
  const orders = users.map((user) => orderConfirmed(user.userId));
  // Registration on partition i % P, its order on the next one: never the same partition.
  const userPartition = (i: number) => i % PARTITIONS;
  const orderPartition = (i: number) => (i + 1) % PARTITIONS;

  async function send<K extends EventType>(
    topic: string,
    eventType: K,
    value: EventTypes[K],
    key: string,
    partition: number,
  ): Promise<void> {
    await producer.send({
      topic,
      acks: -1,
      messages: [
        {
          key,
          partition,
          value: await codec.encode(eventType, value, topic),
          headers: { 'fanout.event_type': eventType },
        },
      ],
    });
  }

  /** Topic-partitions per member of a group, as the broker assigned them. */
  async function assignment(groupId: string): Promise<Map<string, string>> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const { groups: described } = await admin.describeGroups([groupId]);
      const owner = new Map<string, string>();
      for (const member of described[0]?.members ?? []) {
        const decoded = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
        for (const [topic, partitions] of Object.entries(decoded?.assignment ?? {}))
          for (const p of partitions) owner.set(`${topic}:${p}`, member.memberId);
      }
      return owner;
    } finally {
      await admin.disconnect();
    }
  }

  /** The API's effects once it has two idempotency keys per user (bounded). */
  const effectKeys = (api: 'email' | 'crm', what: string, timeoutMs: number) =>
    eventually(
      what,
      async () => {
        const report = await effects(sandbox, api);
        return report.totals.keys >= USERS * 2 ? report : undefined;
      },
      timeoutMs,
      500,
    );

  async function ready(instance: ServiceProcess): Promise<void> {
    await eventually(
      `${instance.name} on ${instance.port} ready`,
      async () => ((await fetch(`${instance.baseUrl}/readyz`)).ok ? true : undefined),
      90_000,
    );
  }

  beforeAll(async () => {
    ({ kafka, codec, producer, sandbox } = await consumerHarness());
    topics = await createConsumerTopics(kafka);
    for (const api of ['email', 'crm'] as const) {
      const shared = consumerEnv(api, sandbox, topics);
      groups[api] = shared.CONSUMER_GROUP_ID!;
      for (let n = 0; n < 2; n++) {
        // Same group, each instance its own data directory (its own view file and dedupe store).
        const env = { ...consumerEnv(api, sandbox, topics), CONSUMER_GROUP_ID: groups[api] };
        instances.push(new ServiceProcess(`${api}-consumer`, await freePort(), env));
      }
    }
    await Promise.all(instances.map((instance) => instance.start({}, 90_000)));
    await Promise.all(instances.map(ready));
    for (const api of ['email', 'crm'] as const)
      await eventually(
        `${api} group with two members`,
        async () =>
          new Set((await assignment(groups[api])).values()).size === 2 ? true : undefined,
        60_000,
      );
  }, 240_000);

  afterAll(async () => {
    await Promise.allSettled(instances.map((instance) => instance.stop()));
    await producer?.disconnect();
    await codec?.close();
    await sandbox?.close();
  });

  it('sends every order email exactly once and dead-letters nothing, although orders and registrations land on different instances', async () => {
    const emailOwners = await assignment(groups.email);
    // Before the kill: orders whose partition another instance owns than their registration's.
    const crossing = orders.filter(
      (_, i) =>
        emailOwners.get(`${topics.orders}:${orderPartition(i)}`) !==
        emailOwners.get(`${topics.users}:${userPartition(i)}`),
    ).length;
    expect(crossing, 'orders handled by another instance than their registration').toBeGreaterThan(
      0,
    );

    const perRound = USERS / ROUNDS;
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = round * perRound; i < (round + 1) * perRound; i++) {
        const user = users[i]!;
        // As user-service writes them: the registration event and the user's row in the table.
        await send(topics.users, 'fanout.user.UserRegistered', user, user.userId, userPartition(i));
        await send(
          topics.contacts,
          'fanout.user.UserContact',
          userContact(user),
          user.userId,
          i % PARTITIONS,
        );
        await send(
          topics.orders,
          'fanout.order.OrderConfirmed',
          orders[i]!,
          orders[i]!.orderId,
          orderPartition(i),
        );
      }
      // Mid-stream: one instance of each group dies without a goodbye.
      if (round === 2) {
        instances[0]!.kill();
        instances[3]!.kill();
      }
      await sleep(300);
    }

    const email = await effectKeys('email', 'a welcome and a confirmation per user', 120_000);
    const bySubject = new Map<string, number>();
    for (const key of email.keys)
      for (const subject of key.subjects)
        bySubject.set(subject, (bySubject.get(subject) ?? 0) + key.effects);
    for (const order of orders)
      expect(bySubject.get(`order-confirmation:${order.orderId}`), order.orderId).toBe(1);
    expect(email.totals.duplicateKeys).toBe(0);
    expect(email.totals.keys).toBe(USERS * 2);

    const crm = await effectKeys('crm', 'a contact and a deal per user', 60_000);
    expect(crm.totals.duplicateKeys).toBe(0);
    expect(crm.totals.keys).toBe(USERS * 2);

    for (const group of [groups.email, groups.crm]) {
      const dead = await readTopic(kafka, codec, `${group}.dlq`, () => false, 3_000);
      expect(dead, `${group}.dlq`).toEqual([]);
    }
  }, 240_000);
});
