import type { ApiScope } from '../api-scope';
import { HttpError } from '../http-error';
import { nowIso, resourceId } from '../resource-id';
import { BoundedMap } from '@fanout/service-kit';

const STAGES = ['open', 'pending', 'won', 'lost'] as const;
type Stage = (typeof STAGES)[number];

interface Contact {
  id: string;
  object: 'contact';
  external_id: string;
  email: string;
  name: string;
  locale: string | null;
  marketing_consent: boolean;
  created_at: string;
  updated_at: string;
}

interface Deal {
  id: string;
  object: 'deal';
  external_id: string;
  contact_external_id: string | null;
  name: string | null;
  amount: number | null;
  currency: string | null;
  stage: Stage;
  stage_history: Array<{ stage: Stage; reason: string | null; at: string }>;
  created_at: string;
  updated_at: string;
}

const contactBody = {
  type: 'object',
  required: ['email', 'name'],
  additionalProperties: false,
  properties: {
    email: { type: 'string', format: 'email', maxLength: 320 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    locale: { type: 'string', maxLength: 20 },
    marketing_consent: { type: 'boolean' },
    properties: { type: 'object' },
  },
} as const;

const dealFields = {
  contact_external_id: { type: 'string', minLength: 1, maxLength: 200 },
  name: { type: 'string', maxLength: 200 },
  amount: { type: 'integer', minimum: 0 },
  currency: { type: 'string', pattern: '^[A-Z]{3}$' },
  stage: { type: 'string', enum: STAGES },
  reason: { type: 'string', maxLength: 500 },
} as const;

const externalIdParam = {
  type: 'object',
  properties: { externalId: { type: 'string', minLength: 1, maxLength: 200 } },
} as const;

/**
 * A CRM in the spirit of HubSpot: contacts upserted by the caller's external id, and deals
 * that move through stages (open → pending → won | lost) with a stage history.
 */
export function registerCrm(scope: ApiScope): { reset(): void } {
  const contacts = new BoundedMap<string, Contact>();
  const deals = new BoundedMap<string, Deal>();

  scope.write(
    'PUT',
    '/v1/contacts/:externalId',
    { params: externalIdParam, body: contactBody },
    (request) => {
      const externalId = request.params.externalId!;
      const body = request.body as {
        email: string;
        name: string;
        locale?: string;
        marketing_consent?: boolean;
      };
      // Stricter than the caller's own check, as real CRMs are: an address under the reserved
      // .invalid TLD (RFC 6761) passes a format check but can never receive mail. The message
      // names the field, never the address.
      if (/\.invalid$/i.test(body.email))
        throw new HttpError(400, 'invalid_request', 'email: the domain can never receive mail', {
          param: 'email',
        });
      const existing = contacts.get(externalId);
      const now = nowIso();
      const contact: Contact = {
        id: existing?.id ?? resourceId('ct'),
        object: 'contact',
        external_id: externalId,
        email: body.email,
        name: body.name,
        locale: body.locale ?? existing?.locale ?? null,
        marketing_consent: body.marketing_consent ?? existing?.marketing_consent ?? false,
        created_at: existing?.created_at ?? now,
        updated_at: now,
      };
      contacts.set(externalId, contact);
      return {
        status: existing ? 200 : 201,
        body: contact,
        effects: [{ operation: 'upsert_contact', subject: externalId, resourceId: contact.id }],
      };
    },
  );

  scope.read('/v1/contacts/:externalId', { params: externalIdParam }, (request) => {
    const contact = contacts.get(request.params.externalId!);
    if (!contact) throw new HttpError(404, 'not_found', 'no such contact');
    return { status: 200, body: contact };
  });

  const saveDeal = (
    externalId: string,
    body: Record<string, unknown>,
    existing: Deal | undefined,
  ): Deal => {
    const now = nowIso();
    const stage = (body.stage as Stage | undefined) ?? existing?.stage ?? 'open';
    const history = existing ? [...existing.stage_history] : [];
    if (!existing || existing.stage !== stage) {
      history.push({ stage, reason: (body.reason as string | undefined) ?? null, at: now });
    }
    const deal: Deal = {
      id: existing?.id ?? resourceId('deal'),
      object: 'deal',
      external_id: externalId,
      contact_external_id:
        (body.contact_external_id as string | undefined) ?? existing?.contact_external_id ?? null,
      name: (body.name as string | undefined) ?? existing?.name ?? null,
      amount: (body.amount as number | undefined) ?? existing?.amount ?? null,
      currency: (body.currency as string | undefined) ?? existing?.currency ?? null,
      stage,
      stage_history: history,
      created_at: existing?.created_at ?? now,
      updated_at: now,
    };
    deals.set(externalId, deal);
    return deal;
  };

  scope.write(
    'POST',
    '/v1/deals',
    {
      body: {
        type: 'object',
        required: ['external_id'],
        additionalProperties: false,
        properties: {
          external_id: { type: 'string', minLength: 1, maxLength: 200 },
          ...dealFields,
        },
      },
    },
    (request) => {
      const body = request.body as { external_id: string } & Record<string, unknown>;
      if (deals.has(body.external_id)) {
        return {
          status: 409,
          body: {
            error: {
              type: 'conflict',
              message: 'a deal with this external_id exists',
              id: deals.get(body.external_id)!.id,
            },
          },
        };
      }
      const deal = saveDeal(body.external_id, body as Record<string, unknown>, undefined);
      return {
        status: 201,
        body: deal,
        effects: [
          {
            operation: 'create_deal',
            subject: `${deal.external_id}:${deal.stage}`,
            resourceId: deal.id,
          },
        ],
      };
    },
  );

  scope.write(
    'PUT',
    '/v1/deals/:externalId',
    {
      params: externalIdParam,
      body: { type: 'object', additionalProperties: false, properties: dealFields },
    },
    (request) => {
      const externalId = request.params.externalId!;
      const existing = deals.get(externalId);
      const deal = saveDeal(externalId, request.body as Record<string, unknown>, existing);
      return {
        status: existing ? 200 : 201,
        body: deal,
        effects: [
          { operation: 'upsert_deal', subject: `${externalId}:${deal.stage}`, resourceId: deal.id },
        ],
      };
    },
  );

  scope.write(
    'PATCH',
    '/v1/deals/:externalId',
    {
      params: externalIdParam,
      body: {
        type: 'object',
        required: ['stage'],
        additionalProperties: false,
        properties: { stage: dealFields.stage, reason: dealFields.reason },
      },
    },
    (request) => {
      const externalId = request.params.externalId!;
      const existing = deals.get(externalId);
      if (!existing) throw new HttpError(404, 'not_found', 'no such deal');
      const deal = saveDeal(externalId, request.body as Record<string, unknown>, existing);
      return {
        status: 200,
        body: deal,
        effects:
          existing.stage === deal.stage
            ? []
            : [
                {
                  operation: 'update_deal_stage',
                  subject: `${externalId}:${deal.stage}`,
                  resourceId: deal.id,
                },
              ],
      };
    },
  );

  scope.read('/v1/deals/:externalId', { params: externalIdParam }, (request) => {
    const deal = deals.get(request.params.externalId!);
    if (!deal) throw new HttpError(404, 'not_found', 'no such deal');
    return { status: 200, body: deal };
  });

  return {
    reset: () => {
      contacts.clear();
      deals.clear();
    },
  };
}
