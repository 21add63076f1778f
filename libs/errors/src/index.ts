export {
  FanoutError,
  RetriableError,
  NonRetriableError,
  isFanoutError,
  classifyError,
} from './fanout-error';
export type { ErrorCode, FanoutErrorOptions } from './fanout-error';
