import { FastifyOtelInstrumentation } from '@fastify/otel';
import type { FastifyPluginCallback } from 'fastify';

let current: FastifyOtelInstrumentation | undefined;

/** Routes that answer probes and scrapes: traced, they would drown real requests in Jaeger. */
export const UNTRACED_PATHS = ['/healthz', '/readyz', '/metrics'];

export function createFastifyInstrumentation(): FastifyOtelInstrumentation {
  return new FastifyOtelInstrumentation({
    // Explicit registration (fastifyOtelPlugin) rather than the diagnostics-channel hook: a service
    // sees in its own code that routes are traced, and tests can build Fastify apps untraced.
    registerOnInitialization: false,
    ignorePaths: (route) => UNTRACED_PATHS.includes(route.url),
    // One request span and one handler span per request; a span per lifecycle hook (auth, rate
    // limit, serialization) multiplies span volume for little insight.
    instrumentHooks: false,
    recordExceptions: true,
  });
}

export function useFastifyInstrumentation(instrumentation: FastifyOtelInstrumentation | undefined) {
  current = instrumentation;
}

const untraced: FastifyPluginCallback = (_instance, _opts, done) => done();
Object.assign(untraced, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@fanout/telemetry:untraced',
});

/**
 * The Fastify plugin that gives each route a request span (named after the route, a child of the
 * http server span). Register it before any route: `await app.register(fastifyOtelPlugin())`.
 * Before `startTelemetry` it is a no-op, so apps built in unit tests need no SDK.
 */
export function fastifyOtelPlugin(): FastifyPluginCallback {
  return current ? (current.plugin() as FastifyPluginCallback) : untraced;
}
