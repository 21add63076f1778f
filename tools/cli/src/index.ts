export { main } from './main';
export { renderWaterfall, waterfallRows } from './waterfall';
export type { WaterfallRow } from './waterfall';
export type { JaegerTrace, JaegerSpan } from './jaeger-trace';
