import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { createTopicsReliably } from '@fanout/contracts';
import type { StackEndpoints } from '@fanout/local-platform';
import type { ChildProcesses } from './child-processes';
import { FanoutRecordReader } from './fanout-record-reader';
import { startFanoutServices } from './fanout-services';
import type { FanoutServices, ServiceTuning } from './fanout-services';
import { SandboxAdmin } from './sandbox-admin';
import { note, phase } from './progress';

export const USER_EVENTS_PARTITIONS = 6;

/** What a set of fan-out services runs with. */
export interface SetProfile {
  sampling: number;
  tuning: ServiceTuning;
  /** Consumers and the sandbox niced by role (rolePriority), as `npm start` runs them. */
  priorities: boolean;
}

export const profileLabel = (p: SetProfile): string =>
  `${p.tuning === 'defaults' ? 'npm start defaults' : `sampling ${p.sampling * 100}%`}, ${p.priorities ? 'priorities by role' : 'all at one priority'}`;

export interface ServiceSet {
  profile: SetProfile;
  sampling: number;
  userEventsTopic: string;
  services: FanoutServices;
  sandbox: SandboxAdmin;
  reader: FanoutRecordReader;
  /** False once a load left work unfinished: the next measurement needs a fresh set. */
  clean: boolean;
  startSeconds: number;
}

/**
 * The fan-out services for one sampling ratio. Each set gets its own user-events topic (6
 * partitions, like the catalog's), so a backlog one set left behind never reaches the next.
 */
export class ServiceSets {
  private current: ServiceSet | undefined;

  constructor(
    private readonly deps: {
      root: string;
      children: ChildProcesses;
      kafka: Kafka;
      endpoints: StackEndpoints;
      portOffset: number;
      workDir: string;
      cpuProfDir?: string;
    },
  ) {}

  /** The running set if it has this profile and is clean; otherwise a freshly started one. */
  async ensure(profile: SetProfile): Promise<ServiceSet> {
    const { sampling } = profile;
    const same = (p: SetProfile) =>
      p.sampling === profile.sampling &&
      p.tuning === profile.tuning &&
      p.priorities === profile.priorities;
    if (this.current && same(this.current.profile) && this.current.clean) return this.current;
    await this.stop();
    const tag = `${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
    const userEventsTopic = `fanout.user.events.bench-${tag}`;
    phase(
      `starting sandbox-apis, user-service and 4 consumers (${profileLabel(profile)}, topic ${userEventsTopic})`,
    );
    const started = Date.now();
    const admin = this.deps.kafka.admin();
    await admin.connect();
    try {
      await createTopicsReliably(admin, [
        { topic: userEventsTopic, numPartitions: USER_EVENTS_PARTITIONS, replicationFactor: 1 },
      ]);
    } finally {
      await admin.disconnect();
    }
    const services = await startFanoutServices(this.deps.children, {
      root: this.deps.root,
      endpoints: this.deps.endpoints,
      portOffset: this.deps.portOffset,
      workDir: join(this.deps.workDir, `services-${tag}`),
      sampling,
      tuning: profile.tuning,
      priorities: profile.priorities,
      userEventsTopic,
      ...(this.deps.cpuProfDir ? { cpuProfDir: this.deps.cpuProfDir } : {}),
    });
    const startSeconds = Math.round((Date.now() - started) / 100) / 10;
    note(`services ready in ${startSeconds} s`);
    this.current = {
      profile,
      sampling,
      userEventsTopic,
      services,
      sandbox: new SandboxAdmin(services.sandboxUrl),
      reader: new FanoutRecordReader(
        this.deps.kafka,
        this.deps.endpoints.schemaRegistryUrl,
        userEventsTopic,
      ),
      clean: true,
      startSeconds,
    };
    return this.current;
  }

  async stop(): Promise<void> {
    const set = this.current;
    this.current = undefined;
    if (!set) return;
    phase('stopping the fan-out services');
    await set.services.stop();
    await set.reader.close();
  }
}
