import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KafkaMessage } from 'kafkajs';
import { Headers } from './message-headers';
import { retryDueAt, RetryParking } from './retry-parking';
import { RuntimeLifecycle } from './runtime-lifecycle';

function fakeConsumer() {
  const calls: string[] = [];
  return {
    calls,
    pause: (targets: { topic: string; partitions?: number[] }[]) =>
      calls.push(`pause ${targets[0]!.topic}/${targets[0]!.partitions?.join(',')}`),
    resume: (targets: { topic: string; partitions?: number[] }[]) =>
      calls.push(`resume ${targets[0]!.topic}/${targets[0]!.partitions?.join(',')}`),
  };
}

function runningParking(pausedAll = false) {
  vi.useFakeTimers();
  const consumer = fakeConsumer();
  const lifecycle = new RuntimeLifecycle();
  lifecycle.phase = 'running';
  lifecycle.pausedAll = pausedAll;
  return { consumer, parking: new RetryParking(consumer, lifecycle) };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('retryDueAt', () => {
  it('reads the due time a retry-tier record carries, 0 without one', () => {
    const due = { headers: { [Headers.retryDueAt]: Buffer.from('1700') } } as unknown;
    expect(retryDueAt(due as KafkaMessage)).toBe(1700);
    expect(retryDueAt({ headers: {} } as KafkaMessage)).toBe(0);
  });
});

describe('RetryParking', () => {
  it('pauses a partition until its record is due, then resumes it', () => {
    const { consumer, parking } = runningParking();
    parking.park('g.retry.1', 2, Date.now() + 1_000);
    parking.park('g.retry.1', 2, Date.now() + 5_000);
    expect(consumer.calls).toEqual(['pause g.retry.1/2']);
    vi.advanceTimersByTime(1_010);
    expect(consumer.calls).toEqual(['pause g.retry.1/2', 'resume g.retry.1/2']);
  });

  it('keeps a due partition paused while every partition is paused', () => {
    const { consumer, parking } = runningParking(true);
    parking.park('g.retry.1', 0, Date.now());
    vi.advanceTimersByTime(10);
    expect(consumer.calls).toEqual(['pause g.retry.1/0']);
  });

  it('pauses the waiting partitions again after a resume of all, until cleared', () => {
    const { consumer, parking } = runningParking();
    parking.park('g.retry.2', 1, Date.now() + 1_000);
    parking.pauseParked();
    parking.clear();
    parking.pauseParked();
    vi.advanceTimersByTime(2_000);
    expect(consumer.calls).toEqual(['pause g.retry.2/1', 'pause g.retry.2/1']);
  });
});
