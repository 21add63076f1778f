import { z } from 'zod';
import type { CallResult, DownstreamClient } from '../client';

export type DealStage = 'open' | 'pending' | 'won' | 'lost';

export interface ContactInput {
  email: string;
  name: string;
  locale?: string;
  marketing_consent?: boolean;
  properties?: Record<string, unknown>;
}

export interface DealInput {
  contact_external_id?: string;
  name?: string;
  /** Minor units. */
  amount?: number;
  currency?: string;
  stage?: DealStage;
  reason?: string;
}

const contactSchema = z.object({ id: z.string(), external_id: z.string() });
const dealSchema = z.object({
  id: z.string(),
  external_id: z.string(),
  stage: z.enum(['open', 'pending', 'won', 'lost']),
});
export type CrmContact = z.infer<typeof contactSchema>;
export type CrmDeal = z.infer<typeof dealSchema>;

const segment = (id: string) => encodeURIComponent(id);

/** The CRM: contacts and deals keyed by our own ids (user id, order id), upserted. */
export class CrmApi {
  constructor(readonly client: DownstreamClient) {}

  upsertContact(
    externalId: string,
    input: ContactInput,
    idempotencyKey: string,
  ): Promise<CallResult<CrmContact>> {
    return this.client.call({
      operation: 'upsertContact',
      method: 'PUT',
      path: `/v1/contacts/${segment(externalId)}`,
      body: input,
      idempotencyKey,
      schema: contactSchema,
    });
  }

  /** Creates the deal or moves it: safe whichever order events arrive in. */
  upsertDeal(
    externalId: string,
    input: DealInput,
    idempotencyKey: string,
  ): Promise<CallResult<CrmDeal>> {
    return this.client.call({
      operation: 'upsertDeal',
      method: 'PUT',
      path: `/v1/deals/${segment(externalId)}`,
      body: input,
      idempotencyKey,
      schema: dealSchema,
    });
  }

  /** Moves an existing deal; a missing deal is a non-retriable 404. */
  updateDealStage(
    externalId: string,
    input: { stage: DealStage; reason?: string },
    idempotencyKey: string,
  ): Promise<CallResult<CrmDeal>> {
    return this.client.call({
      operation: 'updateDealStage',
      method: 'PATCH',
      path: `/v1/deals/${segment(externalId)}`,
      body: input,
      idempotencyKey,
      schema: dealSchema,
    });
  }
}
