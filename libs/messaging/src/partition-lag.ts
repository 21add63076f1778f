/**
 * What one partition's lag is made of. Offsets follow Kafka's convention: `committed` is the next
 * offset the group will read, `highWatermark` is one past the partition's last offset.
 */
export interface PartitionLagInput {
  /** The group's committed offset (or a consumer's position): the next offset it reads. */
  committed: number;
  /** The partition's end offset (high watermark), transaction markers included. */
  highWatermark: number;
  /**
   * Offset of the partition's last real record: one a read-committed consumer is given, so no
   * transaction commit/abort marker and no aborted record. `null` when there is none at or after
   * `committed` (everything from there on is markers or aborted records).
   */
  lastRecordOffset: number | null;
}

/**
 * Lag of a partition: the offsets from `committed` up to and including its last real record.
 *
 * A transaction ends with a commit (or abort) marker that takes an offset but is never delivered,
 * so a group that handled everything commits last-record + 1, one below the high watermark, and
 * `highWatermark - committed` would report a lag of 1 forever. Markers *after* the last real
 * record therefore do not count; markers *between* unread records do (they are offsets still to
 * be read, as Kafka's own consumer lag counts them).
 *
 *   lag = max(0, min(highWatermark, lastRecordOffset + 1) - committed), and 0 without a record.
 *
 * A negative `committed` (no commit yet, Kafka's -1) counts from offset 0.
 */
export function partitionLag({
  committed,
  highWatermark,
  lastRecordOffset,
}: PartitionLagInput): number {
  if (lastRecordOffset === null) return 0;
  const end = Math.min(highWatermark, lastRecordOffset + 1);
  return Math.max(0, end - Math.max(0, committed));
}

/**
 * The lag a consumer sees right after a fetched batch (the `/metrics` gauge): the offsets past the
 * batch up to the high watermark. `lastOffset` is the batch's last offset with its transaction
 * markers (kafkajs' `batch.lastOffset()`), so a marker fetched with the records is behind it;
 * what lies past the batch is not known yet and is counted, until the next fetch shows it (a
 * fetch that brings only markers is reported as a batch of size 0, and the gauge drops to 0).
 */
export function lagAfterBatch({
  lastOffset,
  highWatermark,
}: {
  lastOffset: number;
  highWatermark: number;
}): number {
  return partitionLag({
    committed: lastOffset + 1,
    highWatermark,
    lastRecordOffset: highWatermark - 1,
  });
}
