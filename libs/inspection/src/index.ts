export { JaegerClient } from './jaeger-client';
export type { JaegerClientOptions } from './jaeger-client';
export { tagValue, isErrorSpan } from './jaeger-trace';
export type { JaegerTag, JaegerSpan, JaegerTrace } from './jaeger-trace';
export { renderWaterfall, waterfallRows } from './waterfall';
export type { WaterfallRow } from './waterfall';
export { sagaTimeline, renderSagaTimeline } from './saga-timeline';
export type { SagaSnapshot, SagaMessage, SagaTimeline, TimelineEntry } from './saga-timeline';
