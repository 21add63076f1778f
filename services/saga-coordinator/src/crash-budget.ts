/**
 * How often the coordinator may rebuild its Kafka clients in-process after a crash kafkajs does
 * not restart from (e.g. OUT_OF_ORDER_SEQUENCE_NUMBER after a broker restart): `max` rebuilds
 * within `windowMs`. Beyond that something is wrong for good, and the process exits for its
 * orchestrator to restart it, as before.
 */
export class CrashBudget {
  private readonly crashes: number[] = [];

  constructor(
    private readonly max = 5,
    private readonly windowMs = 5 * 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a crash; true while a rebuild is still within the budget. */
  allowRestart(): boolean {
    const at = this.now();
    this.crashes.push(at);
    while (this.crashes.length > 0 && this.crashes[0]! <= at - this.windowMs) this.crashes.shift();
    return this.crashes.length <= this.max;
  }

  get recent(): number {
    return this.crashes.length;
  }
}
