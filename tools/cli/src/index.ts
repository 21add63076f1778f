export { main } from './main';
export { renderWaterfall, waterfallRows } from './waterfall';
export type { WaterfallRow } from './waterfall';
export type { JaegerTrace, JaegerSpan } from './jaeger-trace';
export { sagaTimeline, renderSagaTimeline } from './saga-timeline';
export type { SagaSnapshot, SagaMessage, SagaTimeline, TimelineEntry } from './saga-timeline';
export {
  ReplayHeaders,
  parseDeadLetterId,
  formatDeadLetterId,
  summarizeDeadLetter,
  replayHeaders,
} from './dead-letter-record';
export type { DeadLetterId, DeadLetterSummary } from './dead-letter-record';
