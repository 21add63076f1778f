import { describe, expect, it } from 'vitest';
import { lagAfterBatch, partitionLag } from './partition-lag';

describe('partitionLag', () => {
  it('is 0 for a group that handled a transactional topic whole (the commit marker is not lag)', () => {
    // Three transactions of two records: 0 1 [m2] 3 4 [m5] 6 7 [m8]; high watermark 9. The group
    // handled offset 7 and committed 8, the marker's offset.
    // The rule it replaces, highWatermark - committed, said 1.
    expect(partitionLag({ committed: 8, highWatermark: 9, lastRecordOffset: 7 })).toBe(0);
  });

  it('is 0 when nothing real is left after the committed offset (markers, aborted records)', () => {
    expect(partitionLag({ committed: 8, highWatermark: 12, lastRecordOffset: null })).toBe(0);
  });

  it('counts unread records up to the last real one, markers between them included', () => {
    // 0 1 [m2] 3 4 [m5]: committed 1, so 1 [m2] 3 4 are still to be read.
    expect(partitionLag({ committed: 1, highWatermark: 6, lastRecordOffset: 4 })).toBe(4);
  });

  it('is end minus committed on a topic without transactions', () => {
    expect(partitionLag({ committed: 40, highWatermark: 100, lastRecordOffset: 99 })).toBe(60);
    expect(partitionLag({ committed: 100, highWatermark: 100, lastRecordOffset: 99 })).toBe(0);
  });

  it('counts from offset 0 when the group has not committed yet (-1)', () => {
    expect(partitionLag({ committed: -1, highWatermark: 3, lastRecordOffset: 1 })).toBe(2);
  });

  it('is never negative and never past the high watermark', () => {
    expect(partitionLag({ committed: 12, highWatermark: 10, lastRecordOffset: 9 })).toBe(0);
    expect(partitionLag({ committed: 0, highWatermark: 5, lastRecordOffset: 9 })).toBe(5);
  });
});

describe('lagAfterBatch', () => {
  it('is 0 after a batch that ends with its commit marker', () => {
    // Records 6 7 and marker 8 in one fetch: kafkajs' lastOffset is 8.
    expect(lagAfterBatch({ lastOffset: 8, highWatermark: 9 })).toBe(0);
  });

  it('counts what is past the batch until a fetch shows it', () => {
    expect(lagAfterBatch({ lastOffset: 0, highWatermark: 3 })).toBe(2);
    // The next fetch brought only markers (size 0), its lastOffset is the last marker.
    expect(lagAfterBatch({ lastOffset: 3, highWatermark: 4 })).toBe(0);
  });
});
