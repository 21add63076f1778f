import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { declineRuleSchema } from './apis/payment';
import { API_NAMES, describeFaults, faultsInputSchema, isApiName } from './faults';
import type { ApiName } from './faults';
import { errorBody } from './http-error';
import type { SandboxState } from './sandbox-state';

const stockSchema = z
  .object({ stock: z.record(z.string().min(1), z.number().int().min(0)) })
  .strict();
const declineRulesSchema = z.object({ rules: z.array(declineRuleSchema) }).strict();
const manyFaultsSchema = z.record(z.string(), faultsInputSchema);
const listQuery = z.object({
  api: z.string().optional(),
  key: z.string().optional(),
  subject: z.string().optional(),
  since: z.coerce.number().optional(),
  limit: z.coerce.number().int().min(1).max(100_000).default(1000),
});

function invalid(reply: FastifyReply, error: z.ZodError) {
  const first = error.issues[0];
  const where = first && first.path.length > 0 ? `${first.path.join('.')}: ` : '';
  return reply.code(400).send(
    errorBody('invalid_request', `${where}${first?.message ?? 'invalid body'}`, {
      issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    }),
  );
}

function unknownApi(reply: FastifyReply, api: string) {
  return reply
    .code(404)
    .send(errorBody('not_found', `unknown api ${api}; known: ${API_NAMES.join(', ')}`));
}

/**
 * The admin API under /_admin: set faults per API at run time, payment decline rules,
 * inventory stock, read the effects record and recent requests, and reset. Loopback-only
 * tooling for tests and benchmarks, so it takes no API key.
 */
export function registerAdminRoutes(app: FastifyInstance, state: SandboxState): void {
  app.get('/_admin/apis', async () => {
    const now = Date.now();
    return Object.fromEntries(
      API_NAMES.map((api) => [api, describeFaults(state.faultsOf(api), now)]),
    );
  });

  app.get<{ Params: { api: string } }>('/_admin/apis/:api/faults', async (request, reply) => {
    const { api } = request.params;
    if (!isApiName(api)) return unknownApi(reply, api);
    return describeFaults(state.faultsOf(api), Date.now());
  });

  for (const method of ['PUT', 'PATCH'] as const) {
    app.route<{ Params: { api: string } }>({
      method,
      url: '/_admin/apis/:api/faults',
      handler: async (request, reply) => {
        const { api } = request.params;
        if (!isApiName(api)) return unknownApi(reply, api);
        const parsed = faultsInputSchema.safeParse(request.body ?? {});
        if (!parsed.success) return invalid(reply, parsed.error);
        return describeFaults(state.setFaults(api, parsed.data, method === 'PUT'), Date.now());
      },
    });
  }

  app.delete<{ Params: { api: string } }>('/_admin/apis/:api/faults', async (request, reply) => {
    const { api } = request.params;
    if (!isApiName(api)) return unknownApi(reply, api);
    state.clearFaults(api);
    return describeFaults(state.faultsOf(api), Date.now());
  });

  // Several APIs at once, e.g. the benchmark latencies: { "email": { "latency": ... }, ... }.
  app.patch('/_admin/faults', async (request, reply) => {
    const parsed = manyFaultsSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    const unknown = Object.keys(parsed.data).find((api) => !isApiName(api));
    if (unknown) return unknownApi(reply, unknown);
    for (const [api, input] of Object.entries(parsed.data)) state.setFaults(api as ApiName, input);
    const now = Date.now();
    return Object.fromEntries(
      API_NAMES.map((api) => [api, describeFaults(state.faultsOf(api), now)]),
    );
  });

  app.get('/_admin/payment/decline-rules', async () => ({ rules: state.declineRules }));
  app.put('/_admin/payment/decline-rules', async (request, reply) => {
    const parsed = declineRulesSchema.safeParse(request.body ?? {});
    if (!parsed.success) return invalid(reply, parsed.error);
    state.declineRules = parsed.data.rules;
    return { rules: state.declineRules };
  });

  app.get('/_admin/inventory/stock', async () => ({ stock: state.stock.snapshot() }));
  for (const method of ['PUT', 'PATCH'] as const) {
    app.route({
      method,
      url: '/_admin/inventory/stock',
      handler: async (request, reply) => {
        const parsed = stockSchema.safeParse(request.body ?? {});
        if (!parsed.success) return invalid(reply, parsed.error);
        if (method === 'PUT') state.stock.clear();
        for (const [sku, quantity] of Object.entries(parsed.data.stock))
          state.stock.set(sku, quantity);
        return { stock: state.stock.snapshot() };
      },
    });
  }

  app.get('/_admin/effects', async (request, reply) => {
    const parsed = listQuery.safeParse(request.query);
    if (!parsed.success) return invalid(reply, parsed.error);
    const { api, key, subject, limit } = parsed.data;
    if (api && !isApiName(api)) return unknownApi(reply, api);
    return state.effects.report({ api, key, subject, limit });
  });

  app.get('/_admin/requests', async (request, reply) => {
    const parsed = listQuery.safeParse(request.query);
    if (!parsed.success) return invalid(reply, parsed.error);
    const { api, since, limit } = parsed.data;
    if (api && !isApiName(api)) return unknownApi(reply, api);
    return { requests: state.requests.list({ api, since, limit }) };
  });

  app.get('/_admin/stats', async (request, reply) => {
    const parsed = listQuery.safeParse(request.query);
    if (!parsed.success) return invalid(reply, parsed.error);
    const { api } = parsed.data;
    if (api && !isApiName(api)) return unknownApi(reply, api);
    return { apis: state.requests.stats(api), idempotencyKeys: state.idempotency.size };
  });

  app.post('/_admin/reset', async (request, reply) => {
    const api = (request.query as { api?: string }).api;
    if (api !== undefined && !isApiName(api)) return unknownApi(reply, api);
    state.reset(api);
    return { reset: api ?? 'all' };
  });
}
