import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { platformStatus } from '@fanout/local-platform';
import { CHAOS_STACK } from './chaos-system';

/**
 * Kafka's own ElectLeaders request, which kafkajs does not implement, through the Java admin
 * client of the stack's Kafka jars, run as a single-file program by the registry's JDK (the
 * platform requires a JDK for Apicurio; a JRE cannot compile the source).
 */
const SOURCE = `import org.apache.kafka.clients.admin.*;
import org.apache.kafka.common.ElectionType;
import java.util.*;
public class ElectPreferredLeaders {
  public static void main(String[] args) throws Exception {
    Properties p = new Properties();
    p.put("bootstrap.servers", args[0]);
    try (Admin admin = Admin.create(p)) {
      var result = admin.electLeaders(ElectionType.PREFERRED, null).partitions().get();
      long moved = 0, failed = 0;
      for (var error : result.values()) {
        if (error.isEmpty()) moved++;
        else if (!(error.get() instanceof org.apache.kafka.common.errors.ElectionNotNeededException)) failed++;
      }
      System.out.println("ELECTED " + moved + " FAILED " + failed);
    }
  }
}
`;

function cmdline(pid: number): string[] {
  return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
}

/**
 * Moves every partition's leadership back to its preferred replica, as Kafka's automatic leader
 * rebalance does within `leader.imbalance.check.interval.seconds` (5 minutes) of a broker's
 * return. Doing it at once makes the second leadership move (and the group coordinators that
 * move with `__consumer_offsets`) happen inside the broker scenario, under its load, instead of
 * at a random moment of a later scenario. Returns how many partitions changed leader.
 */
export async function electPreferredLeaders(bootstrap: string): Promise<number> {
  const status = await platformStatus({ ...CHAOS_STACK, components: ['kafka', 'registry'] });
  const registry = status.components.find((c) => c.name === 'registry')?.pid;
  const broker = status.components.find((c) => c.name.startsWith('kafka') && c.pid)?.pid;
  if (!registry || !broker) throw new Error('leader election: the chaos stack is not running');
  const jdk = cmdline(registry)[0]!;
  const brokerArgs = cmdline(broker);
  const classpath = brokerArgs[brokerArgs.indexOf('-cp') + 1];
  if (!classpath) throw new Error('leader election: no classpath in the broker command line');
  const dir = join(tmpdir(), 'fanout-chaos');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'ElectPreferredLeaders.java');
  writeFileSync(file, SOURCE);
  let moved = 0;
  // A partition whose preferred replica is not back in sync yet cannot move: try again, bounded.
  for (let attempt = 1; attempt <= 4; attempt++) {
    const run = spawnSync(jdk, ['-cp', classpath, file, bootstrap], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    const counts = /ELECTED (\d+) FAILED (\d+)/.exec(run.stdout ?? '');
    if (run.status !== 0 || !counts)
      throw new Error(
        `leader election with ${jdk} failed (exit ${run.status}): ${(run.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`,
      );
    moved += Number(counts[1]);
    if (Number(counts[2]) === 0) return moved;
    await sleep(5_000);
  }
  throw new Error('leader election: some preferred replicas were still not eligible after 4 tries');
}
