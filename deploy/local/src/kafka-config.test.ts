import { describe, expect, it } from 'vitest';
import { kafkaServerProperties } from './kafka-config';
import { compileTopology } from './topology';

function parse(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
  );
}

describe('kafkaServerProperties', () => {
  it('a single node replicates once and never auto-creates topics', () => {
    const t = compileTopology();
    const props = parse(
      kafkaServerProperties({ node: t.brokers[0]!, cluster: t.brokers, logDir: '/d' }),
    );
    expect(props['controller.quorum.voters']).toBe('1@127.0.0.1:9093');
    expect(props.listeners).toBe('PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093');
    expect(props['offsets.topic.replication.factor']).toBe('1');
    expect(props['auto.create.topics.enable']).toBe('false');
  });

  it('three nodes replicate three times and require two in-sync replicas', () => {
    const t = compileTopology({ brokers: 3 });
    const props = parse(
      kafkaServerProperties({ node: t.brokers[1]!, cluster: t.brokers, logDir: '/d' }),
    );
    expect(props['node.id']).toBe('2');
    expect(props['controller.quorum.voters']).toBe(
      '1@127.0.0.1:9093,2@127.0.0.1:9193,3@127.0.0.1:9293',
    );
    expect(props['advertised.listeners']).toBe('PLAINTEXT://127.0.0.1:9192');
    expect(props['default.replication.factor']).toBe('3');
    expect(props['min.insync.replicas']).toBe('2');
    expect(props['transaction.state.log.min.isr']).toBe('2');
    expect(props['unclean.leader.election.enable']).toBe('false');
  });
});
