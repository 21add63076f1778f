import { describe, expect, it } from 'vitest';
import { isPlatformError } from './platform-error';
import { compileTopology, componentPorts, endpointEnv, endpointsOf } from './topology';

describe('compileTopology', () => {
  it('defaults to the fixed ports of the architecture', () => {
    const e = endpointsOf(compileTopology());
    expect(e).toEqual({
      kafkaBrokers: ['127.0.0.1:9092'],
      schemaRegistryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7',
      otlpHttpUrl: 'http://127.0.0.1:4318',
      otlpGrpcUrl: 'http://127.0.0.1:4317',
      jaegerQueryUrl: 'http://127.0.0.1:16686',
    });
  });

  it('a port offset moves every listener, so two stacks share no port', () => {
    const a = compileTopology({ brokers: 3 });
    const b = compileTopology({ brokers: 3, portOffset: 10_000, profile: 'other' });
    const ports = (t: typeof a) =>
      (['kafka', 'registry', 'jaeger'] as const).flatMap((c) =>
        componentPorts(t, c).map((p) => p.port),
      );
    const portsA = ports(a);
    expect(new Set(portsA).size).toBe(portsA.length);
    expect(ports(b).filter((p) => portsA.includes(p))).toEqual([]);
    expect(endpointsOf(b).kafkaBrokers).toEqual([
      '127.0.0.1:19092',
      '127.0.0.1:19192',
      '127.0.0.1:19292',
    ]);
  });

  it('exports endpoints under the names platformEndpoints() reads', () => {
    const env = endpointEnv(endpointsOf(compileTopology({ portOffset: 5 })));
    expect(env.FANOUT_KAFKA_BROKERS).toBe('127.0.0.1:9097');
    expect(env.FANOUT_SCHEMA_REGISTRY_URL).toBe('http://127.0.0.1:8086/apis/ccompat/v7');
  });

  it.each([
    [{ brokers: 2 }, '--brokers 2'],
    [{ portOffset: -1 }, 'port offset'],
    [{ profile: '../x' }, 'profile'],
  ])('refuses %o with a message naming the option', (options, fragment) => {
    try {
      compileTopology(options);
      expect.unreachable();
    } catch (error) {
      expect(isPlatformError(error)).toBe(true);
      expect((error as Error).message).toContain(fragment);
    }
  });
});
