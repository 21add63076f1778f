import type { ApiScope } from '../api-scope';
import { HttpError } from '../http-error';
import { nowIso, resourceId } from '../resource-id';
import { BoundedMap } from '@fanout/service-kit';

interface Message {
  id: string;
  object: 'message';
  status: 'queued';
  to: string;
  from: string;
  template: string;
  subject: string | null;
  reference: string | null;
  created_at: string;
}

/** A transactional email API in the spirit of Postmark/SendGrid: messages are queued (202). */
export function registerEmail(scope: ApiScope): { reset(): void } {
  const messages = new BoundedMap<string, Message>();

  scope.write(
    'POST',
    '/v1/messages',
    {
      body: {
        type: 'object',
        required: ['to', 'template'],
        additionalProperties: false,
        properties: {
          to: { type: 'string', format: 'email', maxLength: 320 },
          from: { type: 'string', format: 'email', maxLength: 320 },
          template: { type: 'string', minLength: 1, maxLength: 100 },
          subject: { type: 'string', maxLength: 500 },
          variables: { type: 'object' },
          reference: { type: 'string', minLength: 1, maxLength: 200 },
          tags: { type: 'array', items: { type: 'string', maxLength: 50 }, maxItems: 20 },
        },
      },
    },
    (request) => {
      const body = request.body as {
        to: string;
        from?: string;
        template: string;
        subject?: string;
        reference?: string;
      };
      const message: Message = {
        id: resourceId('msg'),
        object: 'message',
        status: 'queued',
        to: body.to,
        from: body.from ?? 'no-reply@fanout.example',
        template: body.template,
        subject: body.subject ?? null,
        reference: body.reference ?? null,
        created_at: nowIso(),
      };
      messages.set(message.id, message);
      return {
        status: 202,
        body: message,
        effects: [
          {
            operation: 'send_message',
            subject: `${body.template}:${body.reference ?? body.to}`,
            resourceId: message.id,
          },
        ],
      };
    },
  );

  scope.read('/v1/messages/:id', {}, (request) => {
    const message = messages.get(request.params.id ?? '');
    if (!message) throw new HttpError(404, 'not_found', 'no such message');
    return { status: 200, body: message };
  });

  scope.read(
    '/v1/messages',
    { querystring: { type: 'object', properties: { reference: { type: 'string' } } } },
    (request) => {
      const data = [...messages.values()].filter(
        (m) => !request.query.reference || m.reference === request.query.reference,
      );
      return { status: 200, body: { object: 'list', data: data.slice(-100) } };
    },
  );

  return { reset: () => messages.clear() };
}
