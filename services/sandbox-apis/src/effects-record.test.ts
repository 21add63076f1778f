import { describe, expect, it } from 'vitest';
import { EffectsRecord } from './effects-record';
import type { Effect } from './effects-record';

const effect = (
  api: string,
  operation: string,
  idempotencyKey: string,
  subject: string,
): Effect => ({ api, operation, idempotencyKey, subject, resourceId: undefined });

describe('effects record', () => {
  it('counts effects per key and flags keys and subjects hit more than once', () => {
    const record = new EffectsRecord();
    record.record({
      api: 'email',
      operation: 'send_message',
      idempotencyKey: 'k1',
      subject: 'welcome:u1',
      resourceId: 'm1',
    });
    record.record({
      api: 'email',
      operation: 'send_message',
      idempotencyKey: 'k2',
      subject: 'welcome:u1',
      resourceId: 'm2',
    });
    record.record({
      api: 'crm',
      operation: 'upsert_contact',
      idempotencyKey: 'k1',
      subject: 'u1',
      resourceId: 'c1',
    });
    record.record({
      api: 'crm',
      operation: 'upsert_contact',
      idempotencyKey: 'k1',
      subject: 'u1',
      resourceId: 'c1',
    });
    expect(record.report({ limit: 10 }).totals).toEqual({
      effects: 4,
      keys: 3,
      duplicateKeys: 1,
      subjects: 2,
      duplicateSubjects: 2,
    });
    expect(record.report({ api: 'email', limit: 10 }).totals).toEqual({
      effects: 2,
      keys: 2,
      duplicateKeys: 0,
      subjects: 1,
      duplicateSubjects: 1,
    });
    expect(record.report({ key: 'k1', api: 'crm', limit: 10 }).keys).toEqual([
      {
        api: 'crm',
        idempotencyKey: 'k1',
        operations: ['upsert_contact'],
        subjects: ['u1'],
        effects: 2,
      },
    ]);
  });

  it('bounds the listing but never the totals, and clears per API', () => {
    const record = new EffectsRecord();
    for (let i = 0; i < 5; i += 1)
      record.record(effect('search', 'upsert_document', `k${i}`, `d${i}`));
    record.record(effect('email', 'send_message', 'e', 's'));
    const report = record.report({ limit: 2 });
    expect(report.keys).toHaveLength(2);
    expect(report.totals.effects).toBe(6);
    record.clear('search');
    expect(record.report({ limit: 10 }).totals).toMatchObject({ effects: 1, keys: 1 });
  });

  it('keeps totals exact while effects accumulate and lists only the subjects hit twice', () => {
    const record = new EffectsRecord();
    for (let i = 0; i < 1_000; i += 1)
      record.record(effect('crm', 'upsert_contact', `k${i}`, `u${i % 990}`));
    record.record(effect('crm', 'upsert_contact', 'k3', 'u3'));
    const report = record.report({ api: 'crm', limit: 3 });
    expect(report.totals).toEqual({
      effects: 1_001,
      keys: 1_000,
      duplicateKeys: 1,
      subjects: 990,
      duplicateSubjects: 10,
    });
    expect(report.keys).toHaveLength(3);
    expect(report.duplicateSubjects).toEqual([
      { api: 'crm', operation: 'upsert_contact', subject: 'u0', effects: 2 },
      { api: 'crm', operation: 'upsert_contact', subject: 'u1', effects: 2 },
      { api: 'crm', operation: 'upsert_contact', subject: 'u2', effects: 2 },
    ]);
    expect(record.report({ api: 'crm', subject: 'u3', limit: 10 }).totals).toEqual({
      effects: 3,
      keys: 2,
      duplicateKeys: 1,
      subjects: 1,
      duplicateSubjects: 1,
    });
    // An empty filter (`?key=`) filters nothing.
    expect(record.report({ api: 'crm', key: '', limit: 1 }).totals.keys).toBe(1_000);
    expect(record.report({ api: 'email', limit: 10 }).totals.effects).toBe(0);
  });
});
