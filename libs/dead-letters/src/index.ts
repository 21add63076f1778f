export {
  ReplayHeaders,
  isDeadLetterTopic,
  formatDeadLetterId,
  traceIdOf,
  summarizeDeadLetter,
  replayHeaders,
} from './dead-letter-record';
export type { DeadLetterId, DeadLetterRecord, DeadLetterSummary } from './dead-letter-record';
export { replayTarget, planReplay, publishReplay } from './dead-letter-replay';
export type { ReplayOutcome } from './dead-letter-replay';
