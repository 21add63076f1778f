import { createRequire } from 'node:module';

/** What the patch touches of kafkajs's (internal) ConsumerGroup. */
interface GroupMembership {
  groupId: string;
  memberId: string | null;
  /** One per kafkajs consumer, kept across its crash restarts (each makes a new group). */
  cluster: object;
  connect(): Promise<void>;
  joinAndSync(): Promise<void>;
  leave(): Promise<void>;
}

/** What the patch touches of kafkajs's (internal) consumer Runner. */
interface ConsumerRunner {
  running: boolean;
  consumerGroup: GroupMembership;
  onCrash(error: unknown): unknown;
  scheduleFetchManager(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  [JOINING]?: boolean;
  [STOPPED]?: boolean;
}

const PATCHED = Symbol.for('fanout.messaging.runnerLifecycle');
const JOINING = Symbol.for('fanout.messaging.runnerLifecycle.joining');
const STOPPED = Symbol.for('fanout.messaging.runnerLifecycle.stopped');
/** The member a consumer had when it crashed, by its kafkajs cluster (one per process). */
const crashedMembers: WeakMap<object, { groupId: string; memberId: string }> = ((
  globalThis as { [key: symbol]: unknown }
)[Symbol.for('fanout.messaging.runnerLifecycle.crashedMembers')] ??= new WeakMap()) as WeakMap<
  object,
  { groupId: string; memberId: string }
>;

/**
 * Two repairs of how a kafkajs 2.2.4 consumer starts and stops, found by the chaos suite;
 * applied to kafkajs's Runner once per process by `createKafkaClient`.
 *
 * **A stop while joining stops.** A Runner counts as running only after its first
 * JoinGroup/SyncGroup returned, and `Runner.stop()` returned at once when it was not running:
 * a `consumer.stop()` (or `disconnect()`) during the join did nothing, the consumer dropped its
 * reference, and when the join came back the unreachable runner fetched and heartbeated as a
 * member of its own (kafkajs issues #1639, #1593). After a stall restart the chaos suite saw
 * that stray member and the new one evict each other every session timeout for minutes.
 * Now a stop during the join marks the runner stopped; when the join returns, or fails, it
 * leaves the group instead of fetching, and a join that fails after the stop is not reported
 * as a crash (kafkajs would schedule yet another runner). kafkajs makes a new Runner for every
 * start, so "stopped" is final.
 *
 * **A crash restart rejoins as the same member.** kafkajs restarts a crashed consumer with a
 * new ConsumerGroup and an empty member id. When the crash came from a lost coordinator (its
 * broker killed) the old member could not leave, so the group's new coordinator waits a whole
 * session timeout for it before the restarted consumer's join completes: 30 s without
 * consuming after every coordinator move. Now the restart joins with the member id it had
 * (the coordinator takes it as that member rejoining); when the coordinator no longer knows
 * it, kafkajs's own UNKNOWN_MEMBER_ID handling joins as a new member, as before.
 */
export function patchRunnerLifecycle(): void {
  const load = createRequire(import.meta.url);
  const Runner = load('kafkajs/src/consumer/runner') as {
    prototype: ConsumerRunner & { [PATCHED]?: true };
  };
  const proto = Runner.prototype;
  if (proto[PATCHED]) return;
  const originalStop = proto.stop;
  if (typeof originalStop !== 'function' || typeof proto.scheduleFetchManager !== 'function')
    throw new Error('kafkajs Runner has no stop()/scheduleFetchManager(): the patch needs 2.x');

  proto.start = async function start(this: ConsumerRunner): Promise<void> {
    if (this.running || this[JOINING] || this[STOPPED]) return;
    const group = this.consumerGroup;
    rejoinAsCrashedMember(group);
    rememberMemberOnCrash(this);
    this[JOINING] = true;
    try {
      await group.connect();
      await group.joinAndSync();
    } catch (error) {
      this[JOINING] = false;
      if (this[STOPPED]) return leaveQuietly(group);
      return void (await this.onCrash(error));
    }
    this[JOINING] = false;
    if (this[STOPPED]) return leaveQuietly(group);
    this.running = true;
    this.scheduleFetchManager();
  };

  proto.stop = function stop(this: ConsumerRunner): Promise<void> {
    this[STOPPED] = true;
    if (this[JOINING]) return Promise.resolve();
    return originalStop.call(this);
  };
  proto[PATCHED] = true;
}

function rejoinAsCrashedMember(group: GroupMembership): void {
  const crashed = crashedMembers.get(group.cluster);
  crashedMembers.delete(group.cluster);
  if (group.memberId == null && crashed?.groupId === group.groupId)
    group.memberId = crashed.memberId;
}

/** kafkajs calls `onCrash` before it tries to leave; the id is kept for the restart. */
function rememberMemberOnCrash(runner: ConsumerRunner): void {
  const crash = runner.onCrash;
  const group = runner.consumerGroup;
  runner.onCrash = (error: unknown) => {
    if (group.memberId)
      crashedMembers.set(group.cluster, { groupId: group.groupId, memberId: group.memberId });
    return crash.call(runner, error);
  };
}

async function leaveQuietly(group: GroupMembership): Promise<void> {
  await group.leave().catch(() => undefined);
}
