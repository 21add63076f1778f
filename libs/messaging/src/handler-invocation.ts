import {
  context as otelContext,
  SpanStatusCode,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { RetriableError } from '@fanout/errors';
import type { ConsumedEvent } from './consumed-event';
import type { EventHandler } from './consumer-options';
import { startRetrySpan } from './consumer-spans';

export interface HandlerInvocationDeps {
  handler: EventHandler;
  handlerTimeoutMs: number | undefined;
  tracer: Tracer;
  /** Shutdown's abort: handlers still running past the deadline are told to give up. */
  signal: AbortSignal;
}

/** Runs the handler for one attempt: in the record's trace, bounded by the handler timeout. */
export class HandlerInvocation {
  constructor(private readonly deps: HandlerInvocationDeps) {}

  async run(event: ConsumedEvent, parent: Context, attempt: number): Promise<void> {
    if (attempt === 1) return this.invoke(event, parent);
    // Later attempts get their own span, so retries show in the trace.
    const span = startRetrySpan(this.deps.tracer, event, parent);
    try {
      await this.invoke(event, trace.setSpan(parent, span));
    } catch (error) {
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  }

  /** Runs the handler in `parent`'s context, bounded by `handlerTimeoutMs` when set. */
  private invoke(event: ConsumedEvent, parent: Context): Promise<void> {
    const timeoutMs = this.deps.handlerTimeoutMs;
    if (!timeoutMs) {
      return otelContext.with(parent, () => this.deps.handler(event, { signal: this.deps.signal }));
    }
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([this.deps.signal, timeout]);
    return new Promise<void>((resolve, reject) => {
      const onTimeout = (): void =>
        reject(
          new RetriableError(
            'FANOUT_HANDLER_TIMEOUT',
            `handler did not finish in ${timeoutMs} ms`,
            {
              details: { timeoutMs },
            },
          ),
        );
      timeout.addEventListener('abort', onTimeout, { once: true });
      otelContext
        .with(parent, () => this.deps.handler(event, { signal }))
        .then(resolve, reject)
        .finally(() => timeout.removeEventListener('abort', onTimeout));
    });
  }
}
