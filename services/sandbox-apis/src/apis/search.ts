import type { ApiScope } from '../api-scope';
import { HttpError } from '../http-error';
import { runItems } from './bulk-items';
import { BoundedMap } from '@fanout/service-kit';

interface StoredDocument {
  id: string;
  index: string;
  version: number;
  document: Record<string, unknown>;
  updated_at: string;
}

interface BulkOperation {
  action?: unknown;
  id?: unknown;
  index?: unknown;
  document?: unknown;
  idempotency_key?: string;
}

const MAX_BULK = 1000;
const ID_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * A search index API in the spirit of Elasticsearch/Algolia: documents are upserted by id with
 * a version, deleted by id, or changed in bulk with a result per operation. Deleting a document
 * that does not exist answers 200 with `result: "not_found"`: removal is idempotent.
 */
export function registerSearch(scope: ApiScope): { reset(): void } {
  const documents = new BoundedMap<string, StoredDocument>();

  const upsert = (id: string, index: string, document: Record<string, unknown>) => {
    const existing = documents.get(id);
    const stored: StoredDocument = {
      id,
      index,
      version: (existing?.version ?? 0) + 1,
      document,
      updated_at: new Date().toISOString(),
    };
    documents.set(id, stored);
    return { stored, created: !existing };
  };

  scope.write(
    'PUT',
    '/v1/documents/:id',
    {
      params: {
        type: 'object',
        properties: { id: { type: 'string', pattern: ID_PATTERN.source } },
      },
      body: {
        type: 'object',
        required: ['document'],
        additionalProperties: false,
        properties: {
          index: { type: 'string', minLength: 1, maxLength: 100 },
          document: { type: 'object' },
        },
      },
    },
    (request) => {
      const body = request.body as { index?: string; document: Record<string, unknown> };
      const id = request.params.id!;
      const { stored, created } = upsert(id, body.index ?? 'default', body.document);
      return {
        status: created ? 201 : 200,
        body: {
          id,
          index: stored.index,
          version: stored.version,
          result: created ? 'created' : 'updated',
        },
        effects: [{ operation: 'upsert_document', subject: id, resourceId: id }],
      };
    },
  );

  scope.write('DELETE', '/v1/documents/:id', {}, (request) => {
    const id = request.params.id!;
    const existed = documents.delete(id);
    return {
      status: 200,
      body: { id, result: existed ? 'deleted' : 'not_found' },
      effects: existed ? [{ operation: 'delete_document', subject: id, resourceId: id }] : [],
    };
  });

  scope.read('/v1/documents/:id', {}, (request) => {
    const stored = documents.get(request.params.id!);
    if (!stored) throw new HttpError(404, 'not_found', 'no such document');
    return { status: 200, body: stored };
  });

  scope.write(
    'POST',
    '/v1/bulk',
    {
      body: {
        type: 'object',
        required: ['operations'],
        additionalProperties: false,
        properties: {
          operations: { type: 'array', minItems: 1, maxItems: MAX_BULK, items: { type: 'object' } },
        },
      },
    },
    (request) => {
      const operations = (request.body as { operations: BulkOperation[] }).operations;
      const { results, effects } = runItems(scope, request, operations, (op) => {
        if (typeof op.id !== 'string' || !ID_PATTERN.test(op.id)) {
          return {
            result: { status: 400, error: { type: 'invalid_request', message: 'id is invalid' } },
          };
        }
        if (op.action === 'delete') {
          const existed = documents.delete(op.id);
          return {
            result: { status: 200, id: op.id, result: existed ? 'deleted' : 'not_found' },
            ...(existed
              ? { effect: { operation: 'delete_document', subject: op.id, resourceId: op.id } }
              : {}),
          };
        }
        if (op.action === 'upsert') {
          if (
            typeof op.document !== 'object' ||
            op.document === null ||
            Array.isArray(op.document)
          ) {
            return {
              result: {
                status: 400,
                id: op.id,
                error: { type: 'invalid_request', message: 'document must be an object' },
              },
            };
          }
          const index = typeof op.index === 'string' && op.index ? op.index : 'default';
          const { stored, created } = upsert(op.id, index, op.document as Record<string, unknown>);
          return {
            result: {
              status: created ? 201 : 200,
              id: op.id,
              version: stored.version,
              result: created ? 'created' : 'updated',
            },
            effect: { operation: 'upsert_document', subject: op.id, resourceId: op.id },
          };
        }
        return {
          result: {
            status: 400,
            id: op.id,
            error: { type: 'invalid_request', message: 'action must be upsert or delete' },
          },
        };
      });
      return {
        status: 200,
        body: { errors: results.some((r) => r.status >= 300), items: results },
        effects,
      };
    },
  );

  return { reset: () => documents.clear() };
}
