/**
 * Component versions. A version is part of its cache key, so changing one here provisions the
 * new version next to the old one instead of patching a cache in place.
 */
export const versions = {
  /** Chosen for kafkajs 2.2.4 compatibility: see README "Why Kafka 4.1.1". */
  kafka: '4.1.1',
  scala: '2.13',
  /** Kafka 4.1 logs through SLF4J 1.7; this binding routes it to log4j2. */
  log4jSlf4j: '2.24.3',
  apicurio: '3.3.3',
  /**
   * The approved release (README "Jaeger v2 (v1.75.0)"): v1.76.0 is served by the Go module proxy
   * but not approved. The Go module is tagged v1.x; jaegerImage is the same release's v2 image.
   */
  jaeger: 'v1.75.0',
  /** `jaegertracing/jaeger:<tag>` of the v1.75.0 release, for docker-compose and testcontainers. */
  jaegerImage: '2.12.0',
  /** jaeger's go.mod carries this replace; `go install pkg@version` refuses modules with one. */
  jaegerSaramaReplace: 'github.com/Shopify/sarama => github.com/Shopify/sarama v1.33.0',
} as const;

export const minimumJava = { kafka: 17, apicurio: 21 } as const;
