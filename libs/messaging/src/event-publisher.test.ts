import { describe, expect, it } from 'vitest';
import type { Kafka, ProducerBatch, RecordMetadata } from 'kafkajs';
import { EventPublisher } from './event-publisher';
import type { EventCodec } from './event-codec';

const codec: EventCodec = {
  encode: async (_type, value) => Buffer.from(JSON.stringify(value)),
  decode: async () => ({ eventType: 'x', value: {}, schemaId: 1 }),
};

/**
 * A stand-in for the kafkajs client that reproduces kafkajs 2.2.4's failover behaviour: the
 * first send resolves without one partition's metadata (and without writing it).
 */
function fakeKafka(dropOnFirstSend: number, partitions = 3) {
  const sends: Array<{ partition: number; key: string }[]> = [];
  const written: Array<{ partition: number; key: string }> = [];
  const kafka = {
    producer: () => ({
      connect: async () => {},
      disconnect: async () => {},
      sendBatch: async (batch: ProducerBatch): Promise<RecordMetadata[]> => {
        const records = batch.topicMessages!.flatMap((tm) =>
          tm.messages.map((m) => ({ partition: m.partition!, key: String(m.key) })),
        );
        sends.push(records);
        const drop = sends.length === 1 ? dropOnFirstSend : -1;
        const touched = [...new Set(records.map((r) => r.partition))].filter((p) => p !== drop);
        written.push(...records.filter((r) => r.partition !== drop));
        return touched.map((p) => ({
          topicName: 't',
          partition: p,
          errorCode: 0,
          baseOffset: '0',
        }));
      },
    }),
    admin: () => ({
      connect: async () => {},
      disconnect: async () => {},
      fetchTopicMetadata: async () => ({
        topics: [
          {
            name: 't',
            partitions: Array.from({ length: partitions }, (_, i) => ({
              partitionId: i,
              leader: 1,
              replicas: [1],
              isr: [1],
              partitionErrorCode: 0,
            })),
          },
        ],
      }),
    }),
  };
  return { kafka: kafka as unknown as Kafka, sends, written };
}

const request = (key: string) => ({
  topic: 't',
  key,
  eventType: 'fanout.test.Thing',
  value: { metadata: { eventId: `e-${key}`, correlationId: 'c', producer: 'p', occurredAt: 0 } },
});

describe('event publisher', () => {
  it('resends the records of a partition the broker left out of its answer, so none is lost on leader failover', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `key-${i}`);
    const probe = fakeKafka(-1);
    const probePublisher = new EventPublisher({ kafka: probe.kafka, codec });
    await probePublisher.publishBatch(keys.map(request));
    const dropped = probe.sends[0]![0]!.partition;

    const { kafka, sends, written } = fakeKafka(dropped);
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.publishBatch(keys.map(request));
    expect(sends).toHaveLength(2);
    expect(sends[1]!.every((r) => r.partition === dropped)).toBe(true);
    expect(new Set(written.map((r) => r.key))).toEqual(new Set(keys));
    // Records keep their order per partition on the resend.
    const resent = sends[1]!.map((r) => r.key);
    expect(resent).toEqual(sends[0]!.filter((r) => r.partition === dropped).map((r) => r.key));
  });

  it('routes each key to the partition kafkajs default partitioner would choose', async () => {
    const { kafka, sends } = fakeKafka(-1, 6);
    await new EventPublisher({ kafka, codec }).publishBatch([
      request('a'),
      request('a'),
      request('b'),
    ]);
    const [first, second] = sends[0]!;
    expect(first!.partition).toBe(second!.partition);
    expect(sends[0]!.every((r) => r.partition >= 0 && r.partition < 6)).toBe(true);
  });

  it('replaces a producer whose sequence numbers the broker refuses, so the next publish gets through', async () => {
    // kafkajs 2.2.4 keeps failing every send of a producer once the broker answered
    // OUT_OF_ORDER_SEQUENCE_NUMBER (seen after a leader failover mid-request).
    const base = fakeKafka(-1);
    const created: string[] = [];
    const kafka = {
      ...base.kafka,
      producer: () => {
        const producer = (
          base.kafka as unknown as { producer: () => Record<string, unknown> }
        ).producer();
        const id = `producer-${created.length + 1}`;
        created.push(id);
        if (id !== 'producer-1') return producer;
        return {
          ...producer,
          sendBatch: async () => {
            const refused = Object.assign(
              new Error('The broker received an out of order sequence number'),
              {
                name: 'KafkaJSProtocolError',
                type: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
                retriable: false,
              },
            );
            throw Object.assign(new Error(refused.message), {
              name: 'KafkaJSNumberOfRetriesExceeded',
              cause: refused,
            });
          },
        };
      },
    } as unknown as Kafka;
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    await expect(publisher.publish(request('a'))).rejects.toMatchObject({
      code: 'FANOUT_PUBLISH_FAILED',
      retriable: true,
    });
    await expect(publisher.publish(request('a'))).resolves.toMatchObject({ topic: 't' });
    expect(created).toEqual(['producer-1', 'producer-2']);
    expect(base.written.map((r) => r.key)).toEqual(['a']);
  });
  it('a send kafkajs gave up on after its retries fails retriable, so a consumer retries instead of dead-lettering', async () => {
    const base = fakeKafka(-1);
    const kafka = {
      ...base.kafka,
      producer: () => ({
        connect: async () => {},
        disconnect: async () => {},
        sendBatch: async () => {
          throw Object.assign(new Error('This server is not the leader for that topic-partition'), {
            name: 'KafkaJSNumberOfRetriesExceeded',
            retriable: false,
          });
        },
      }),
    } as unknown as Kafka;
    const publisher = new EventPublisher({ kafka, codec });
    await publisher.connect();
    await expect(publisher.publish(request('a'))).rejects.toMatchObject({
      code: 'FANOUT_PUBLISH_FAILED',
      retriable: true,
    });
  });
});
