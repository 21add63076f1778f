export {
  ReplayHeaders,
  isDeadLetterTopic,
  formatDeadLetterId,
  traceIdOf,
  summarizeDeadLetter,
  replayHeaders,
} from './dead-letter-record';
export type { DeadLetterId, DeadLetterRecord, DeadLetterSummary } from './dead-letter-record';
