import { z } from 'zod';
import type { CallResult, DownstreamClient } from '../client';

export interface SendMessageInput {
  to: string;
  template: string;
  from?: string;
  subject?: string;
  variables?: Record<string, unknown>;
  /** The business reference (user id, order id), for lookups and duplicate detection. */
  reference?: string;
  tags?: string[];
}

const messageSchema = z.object({ id: z.string(), status: z.string(), template: z.string() });
export type EmailMessage = z.infer<typeof messageSchema>;

/** The email API: transactional messages from templates. */
export class EmailApi {
  constructor(readonly client: DownstreamClient) {}

  sendMessage(input: SendMessageInput, idempotencyKey: string): Promise<CallResult<EmailMessage>> {
    return this.client.call({
      operation: 'sendMessage',
      method: 'POST',
      path: '/v1/messages',
      body: input,
      idempotencyKey,
      schema: messageSchema,
    });
  }
}
