export { main } from './main';
// Moved to @fanout/inspection (shared with the console); re-exported for existing importers.
export {
  renderWaterfall,
  waterfallRows,
  sagaTimeline,
  renderSagaTimeline,
} from '@fanout/inspection';
export type {
  WaterfallRow,
  JaegerTrace,
  JaegerSpan,
  SagaSnapshot,
  SagaMessage,
  SagaTimeline,
  TimelineEntry,
} from '@fanout/inspection';
export {
  ReplayHeaders,
  parseDeadLetterId,
  formatDeadLetterId,
  summarizeDeadLetter,
  replayHeaders,
} from './dead-letter-record';
export type { DeadLetterId, DeadLetterSummary } from './dead-letter-record';
