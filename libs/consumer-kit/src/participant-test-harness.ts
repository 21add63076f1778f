import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompensationTombstones } from './compensation-tombstones';
import type { ConsumerContext } from './consumer-definition';

/** Metadata of a command as the saga coordinator writes it; fixed, so tests can compare it. */
export const COORDINATOR_COMMAND_METADATA = {
  eventId: 'e5a1f0b2-0c1d-4a55-9d1e-6f1f2a3b4c5d',
  occurredAt: new Date(0),
  correlationId: 'corr-1',
  causationId: null,
  producer: 'saga-coordinator',
};

/** One call the stand-in API received: the operation and its Idempotency-Key. */
export interface RecordedCall {
  operation: string;
  key: string;
}

/** One reply the handler published through its context. */
export interface PublishedReply {
  eventType: string;
  payload: Record<string, unknown>;
}

/**
 * What a saga participant's mapping test needs around its handlers: real compensation
 * tombstones in a temporary directory, the calls its stand-in API recorded, the replies it
 * published, and a handler context over a stand-in API. No broker, no HTTP: the orderings the
 * broker cannot produce on demand are driven by hand (test/integration has the real ones).
 */
export class ParticipantTestHarness {
  readonly calls: RecordedCall[] = [];
  readonly published: PublishedReply[] = [];
  private readonly dir: string;
  private current: CompensationTombstones;

  constructor(name: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${name}-`));
    this.current = this.openTombstones();
  }

  /** The tombstones that new contexts hold; replaced by `restart()`. */
  get tombstones(): CompensationTombstones {
    return this.current;
  }

  /**
   * A handler context whose `api` is `apis` plus the tombstones under `compensated`; `publish`
   * records into `published`. Only `api` and `publish` are set: a participant handler uses no
   * other part of the context.
   */
  context<A extends { compensated: CompensationTombstones }>(
    apis: Omit<A, 'compensated'>,
  ): ConsumerContext<A> {
    const published = this.published;
    return {
      api: { ...apis, compensated: this.current },
      publish: async (eventType: string, payload: Record<string, unknown>) => {
        published.push({ eventType, payload });
      },
    } as unknown as ConsumerContext<A>;
  }

  /** A stand-in for an order-wide compensation call (release, void, cancel) that succeeds. */
  compensationCall(operation: string) {
    return async (_orderId: string, key: string) => {
      this.calls.push({ operation, key });
      return { status: 200, data: { noop: false } } as never;
    };
  }

  /** Closes and reopens the tombstones on the same files, as a consumer restart would. */
  restart(): CompensationTombstones {
    this.current.close();
    this.current = this.openTombstones();
    return this.current;
  }

  /** Closes the tombstones and removes the temporary directory. */
  close(): void {
    this.current.close();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private openTombstones(): CompensationTombstones {
    return new CompensationTombstones({ dataDir: this.dir, groupId: 'g', retentionMs: 60_000 });
  }
}
