import { describe, expect, it } from 'vitest';
import { CliError } from './cli-error';
import { loadCliConfig } from './config';

describe('cli config', () => {
  it('prefers flags over the environment over the fixed local ports', () => {
    expect(loadCliConfig({}, {}).kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(loadCliConfig({}, { KAFKA_BROKERS: 'a:1,b:2' }).kafkaBrokers).toEqual(['a:1', 'b:2']);
    expect(loadCliConfig({ brokers: 'c:3' }, { KAFKA_BROKERS: 'a:1' }).kafkaBrokers).toEqual([
      'c:3',
    ]);
  });

  it('refuses a broker that is not host:port and a URL that is not a URL, naming the option', () => {
    expect(() => loadCliConfig({ brokers: 'localhost' }, {})).toThrow(CliError);
    expect(() => loadCliConfig({ brokers: 'localhost' }, {})).toThrow(/--brokers.*not host:port/);
    expect(() => loadCliConfig({ jaeger: 'nope' }, {})).toThrow(/--jaeger.*not a URL/);
  });
});
