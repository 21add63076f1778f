/** The Strimzi Kafka cluster's name; its bootstrap Service is `<name>-kafka-bootstrap`. */
export const KAFKA_CLUSTER = 'fanout-kafka';
/** Shared non-secret settings of every service (brokers, registry, OTLP, Kafka security). */
export const PLATFORM_CONFIG = 'fanout-platform';
/** `<API>_API_URL` of every consumer: the sandbox in the base, the real APIs in production. */
export const DOWNSTREAM_CONFIG = 'fanout-downstream-apis';
/** Service name → Kafka SCRAM user name (production); absent where Kafka is PLAINTEXT. */
export const KAFKA_USERS_CONFIG = 'fanout-kafka-users';
/** Strimzi's cluster CA certificate Secret (key ca.crt). */
export const KAFKA_CA_SECRET = `${KAFKA_CLUSTER}-cluster-ca-cert`;
/** Where secret files are mounted in every container. */
export const KAFKA_USER_DIR = '/etc/fanout/kafka-user';
export const KAFKA_CA_DIR = '/etc/fanout/kafka-ca';
export const API_KEY_DIR = '/etc/fanout/api-key';
export const DATA_DIR = '/data';
/** The KEDA TriggerAuthentication every Kafka trigger names (empty in the base). */
export const KEDA_KAFKA_AUTH = 'fanout-kafka-keda';
/** Seconds between SIGTERM-time endpoint removal and the signal: the preStop sleep. */
export const PRE_STOP_SECONDS = 5;
