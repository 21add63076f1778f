import type { ServiceModel } from './service-model';
import { KAFKA_CLUSTER, KAFKA_USERS_CONFIG } from './names';

type Acl = { resource: Record<string, string>; operations: string[] };

const prefixed = (type: string, name: string) => ({ type, name, patternType: 'prefix' });

/**
 * One SCRAM-SHA-512 KafkaUser per service that talks to Kafka, named after the service (Strimzi
 * writes its password to a Secret of that name, which the Deployment mounts), with ACLs for the
 * catalog's topics, its own retry and dead-letter topics, consumer groups and transactional ids.
 */
export function kafkaUsers(models: readonly ServiceModel[]): object[] {
  const clients = models.filter((m) => m.variables.includes('KAFKA_SECURITY_PROTOCOL'));
  const users: object[] = clients.map((model) => {
    const acls: Acl[] = [
      {
        resource: prefixed('topic', 'fanout.'),
        operations: ['Read', 'Write', 'Describe', 'DescribeConfigs', 'Create'],
      },
      { resource: prefixed('group', model.name), operations: ['Read', 'Describe'] },
      { resource: prefixed('transactionalId', model.name), operations: ['Write', 'Describe'] },
      { resource: { type: 'cluster' }, operations: ['IdempotentWrite', 'Describe'] },
    ];
    if (model.group && model.group.id !== model.name)
      acls.push({ resource: prefixed('group', model.group.id), operations: ['Read', 'Describe'] });
    if (model.group && (model.group.retryTopics.length > 0 || model.group.deadLetterTopic))
      acls.push({
        resource: prefixed('topic', `${model.group.id}.`),
        operations: ['Read', 'Write', 'Describe', 'Create'],
      });
    if (model.role === 'ops') {
      // The console reads every group's retry and dead-letter topics (and replays to the
      // catalog's topics, above), and describes every group and topic for the lag.
      for (const other of models)
        if (other.group && (other.group.retryTopics.length > 0 || other.group.deadLetterTopic))
          acls.push({
            resource: prefixed('topic', `${other.group.id}.`),
            operations: ['Read', 'Describe'],
          });
      acls.push(
        {
          resource: { type: 'topic', name: '*', patternType: 'literal' },
          operations: ['Describe'],
        },
        {
          resource: { type: 'group', name: '*', patternType: 'literal' },
          operations: ['Describe'],
        },
      );
    }
    return user(model.name, acls);
  });
  users.push(
    user('keda', [
      { resource: { type: 'topic', name: '*', patternType: 'literal' }, operations: ['Describe'] },
      { resource: { type: 'group', name: '*', patternType: 'literal' }, operations: ['Describe'] },
    ]),
    user('schema-registry', [
      { resource: prefixed('topic', 'kafkasql-'), operations: ['All'] },
      { resource: prefixed('group', 'apicurio-'), operations: ['All'] },
      { resource: { type: 'cluster' }, operations: ['Describe', 'IdempotentWrite'] },
    ]),
  );
  users.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: KAFKA_USERS_CONFIG },
    data: Object.fromEntries(clients.map((m) => [m.name, m.name])),
  });
  return users;
}

function user(name: string, acls: Acl[]): object {
  return {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: { name, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: { authentication: { type: 'scram-sha-512' }, authorization: { type: 'simple', acls } },
  };
}
