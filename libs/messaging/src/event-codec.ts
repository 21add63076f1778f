/**
 * The codec contract shared with @fanout/contracts (see CONTRIBUTING.md, "Kafka record
 * conventions"). Typed structurally so this lib never depends on the registry client: the
 * contracts lib's RegistryCodec satisfies it as is.
 *
 * Errors: `decode` should throw a non-retriable FanoutError for bytes that will never decode
 * (bad magic byte, unknown schema id, schema-invalid body) and a retriable one when the
 * registry is unreachable. The consumer runtime dead-letters the first kind at once.
 */
export interface EventCodec {
  encode(eventType: string, value: unknown, topic: string): Promise<Buffer>;
  decode(bytes: Buffer): Promise<DecodedEvent>;
}

export interface DecodedEvent {
  eventType: string;
  value: unknown;
  schemaId: number;
}
