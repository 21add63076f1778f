import { SagaEngine, stages } from '@fanout/saga';
import type { SagaDefinition } from '@fanout/saga';

// The registry is heterogeneous: each saga has its own trigger and context types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaEngine = SagaEngine<any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnySagaDefinition = SagaDefinition<any, any>;

/**
 * The sagas one coordinator runs, indexed by the events that drive them. A reply type belongs to
 * exactly one saga, so a reply finds its saga by type and its instance by key.
 */
export class SagaRegistry {
  private readonly byTriggerType = new Map<string, AnySagaEngine>();
  private readonly byReplyType = new Map<string, AnySagaEngine>();
  private readonly bySagaName = new Map<string, AnySagaEngine>();

  constructor(
    definitions: readonly AnySagaDefinition[],
    replyTypes: (d: AnySagaDefinition) => string[],
  ) {
    for (const definition of definitions) {
      if (this.bySagaName.has(definition.name))
        throw new Error(`saga ${definition.name} is registered twice`);
      if (this.byTriggerType.has(definition.startsOn))
        throw new Error(`two sagas start on ${definition.startsOn}`);
      const engine = new SagaEngine(definition);
      this.bySagaName.set(definition.name, engine);
      this.byTriggerType.set(definition.startsOn, engine);
      for (const type of replyTypes(definition)) {
        const owner = this.byReplyType.get(type);
        if (owner)
          throw new Error(
            `reply ${type} belongs to sagas ${owner.definition.name} and ${definition.name}`,
          );
        this.byReplyType.set(type, engine);
      }
    }
  }

  static of(definitions: readonly AnySagaDefinition[]): SagaRegistry {
    return new SagaRegistry(definitions, replyTypesOf);
  }

  triggeredBy(eventType: string): AnySagaEngine | undefined {
    return this.byTriggerType.get(eventType);
  }

  answeredBy(eventType: string): AnySagaEngine | undefined {
    return this.byReplyType.get(eventType);
  }

  named(saga: string): AnySagaEngine | undefined {
    return this.bySagaName.get(saga);
  }

  /** Every event type a saga emits: commands, compensations and terminal events. */
  emittedTypes(): string[] {
    const types = new Set<string>();
    for (const { definition } of this.bySagaName.values()) {
      types.add(definition.completed.eventType);
      types.add(definition.cancelled.eventType);
      for (const group of stages(definition))
        for (const s of group) {
          types.add(s.action.eventType);
          if (s.compensation) types.add(s.compensation.eventType);
        }
    }
    return [...types];
  }
}

function replyTypesOf(definition: AnySagaDefinition): string[] {
  const types: string[] = [];
  for (const group of stages(definition))
    for (const s of group) types.push(...s.succeededOn, ...s.failedOn, ...(s.compensatedOn ?? []));
  return types;
}
