import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { POISON_HEADER } from './dead-letters';
import type { PoisonRecord } from './dead-letters';

/** The registry id of the latest schema under a subject (Confluent-compatible API). */
async function schemaIdOf(registryUrl: string, subject: string): Promise<number> {
  const response = await fetch(
    `${registryUrl}/subjects/${encodeURIComponent(subject)}/versions/latest`,
    { signal: AbortSignal.timeout(10_000) },
  );
  if (!response.ok)
    throw new Error(`registry: subject ${subject} answered ${response.status}: no schema id`);
  return ((await response.json()) as { id: number }).id;
}

/** Confluent wire format: magic byte 0, 4-byte schema id, body. */
function framed(schemaId: number, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt8(0, 0);
  head.writeUInt32BE(schemaId, 1);
  return Buffer.concat([head, body]);
}

interface PoisonSpec {
  topic: string;
  kind: string;
  value: Buffer;
}

/**
 * The poison the suite produces, one of each kind a consumer meets in practice:
 * - bytes that are not the wire format at all (a producer that skipped the serializer);
 * - the wire format with a real schema id whose body does not match the schema (truncated);
 * - the wire format naming a schema id the registry never issued;
 * - JSON where Avro is expected, on a saga participant's command topic and on the replies.
 */
export async function poisonSpecs(registryUrl: string): Promise<PoisonSpec[]> {
  const userRegistered = await schemaIdOf(
    registryUrl,
    'fanout.user.events-fanout.user.UserRegistered',
  );
  return [
    {
      topic: 'fanout.user.events',
      kind: 'not the wire format',
      value: Buffer.from('this is not avro'),
    },
    {
      topic: 'fanout.user.events',
      kind: 'body does not match its schema',
      // A UserRegistered body cut after its first bytes: the schema id resolves, the body does not.
      value: framed(userRegistered, Buffer.from([0x48, 0x36])),
    },
    {
      topic: 'fanout.order.events',
      kind: 'unknown schema id',
      value: framed(2_000_000_000, Buffer.from([2, 4, 6, 8])),
    },
    {
      topic: 'fanout.payment.commands',
      kind: 'JSON instead of Avro',
      value: Buffer.from(JSON.stringify({ orderId: randomUUID(), amount: 100 })),
    },
    {
      topic: 'fanout.saga.replies',
      kind: 'JSON instead of Avro',
      value: Buffer.from(JSON.stringify({ orderId: randomUUID(), status: 'reserved' })),
    },
  ];
}

/**
 * Produces the poison records straight to the consumed topics (acks=all, confirmed per record:
 * a record counts only when the broker acknowledged its partition and offset). Each carries a
 * unique `chaos.poison-id` header, which its dead-letter copies keep.
 */
export async function producePoison(
  kafka: Kafka,
  registryUrl: string,
  scenario: string,
): Promise<PoisonRecord[]> {
  const specs = await poisonSpecs(registryUrl);
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const produced: PoisonRecord[] = [];
  try {
    for (const [i, spec] of specs.entries()) {
      const id = `${scenario}-${i}-${randomUUID().slice(0, 8)}`;
      const [meta] = await producer.send({
        topic: spec.topic,
        acks: -1,
        messages: [{ key: `poison-${id}`, value: spec.value, headers: { [POISON_HEADER]: id } }],
      });
      if (!meta || meta.errorCode !== 0 || meta.baseOffset === undefined)
        throw new Error(`poison record ${id} on ${spec.topic} was not acknowledged`);
      produced.push({
        id,
        topic: spec.topic,
        partition: meta.partition,
        offset: meta.baseOffset,
        kind: spec.kind,
      });
    }
  } finally {
    await producer.disconnect();
  }
  return produced;
}
