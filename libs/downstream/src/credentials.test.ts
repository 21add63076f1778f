import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { Secret, loadCredential } from './credentials';

const KEY = 'sk_live_very_secret_value_123';

describe('credentials', () => {
  it('a secret never prints, serializes or inspects as its value', () => {
    const secret = new Secret(KEY);
    const views = [
      String(secret),
      `${secret}`,
      JSON.stringify({ secret }),
      inspect({ nested: { secret } }, { depth: 5 }),
    ];
    for (const view of views) expect(view).not.toContain(KEY);
    expect(secret.reveal()).toBe(KEY);
  });

  it('redacts the secret where an API echoed it', () => {
    expect(new Secret(KEY).redact(`invalid key ${KEY}!`)).toBe('invalid key [REDACTED]!');
  });

  it('loads the key from the environment value or from a secret file, trimmed', () => {
    expect(loadCredential({ variable: 'CRM_API_KEY', value: ` ${KEY} ` }).reveal()).toBe(KEY);
    const file = join(mkdtempSync(join(tmpdir(), 'cred-')), 'key');
    writeFileSync(file, `${KEY}\n`);
    expect(loadCredential({ variable: 'CRM_API_KEY', file }).reveal()).toBe(KEY);
  });

  it('fails naming the variable, never the value, when missing, doubled, unreadable or empty', () => {
    const cases = [
      { variable: 'CRM_API_KEY' },
      { variable: 'CRM_API_KEY', value: KEY, file: '/tmp/x' },
      { variable: 'CRM_API_KEY', file: '/nonexistent/key' },
    ];
    const dir = mkdtempSync(join(tmpdir(), 'cred-'));
    writeFileSync(join(dir, 'empty'), '\n');
    cases.push({ variable: 'CRM_API_KEY', file: join(dir, 'empty') });
    for (const source of cases) {
      let thrown: unknown;
      try {
        loadCredential(source);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({ code: 'FANOUT_CONFIG_INVALID', retriable: false });
      expect((thrown as Error).message).toContain('CRM_API_KEY');
      expect((thrown as Error).message).not.toContain(KEY);
    }
  });
});
