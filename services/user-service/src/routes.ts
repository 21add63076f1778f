import type { FastifyInstance } from 'fastify';
import { ProblemError } from '@fanout/service-kit';
import { registerUserBody, userIdParams } from './http-schemas';
import { registerUser } from './register-user';
import type { RegisterUserDeps } from './register-user';
import type { RegisterUserRequest } from './user';

export function userRoutes(app: FastifyInstance, deps: RegisterUserDeps): void {
  app.post('/users', { schema: { body: registerUserBody } }, async (request, reply) => {
    const user = await registerUser(deps, request.body as RegisterUserRequest, request.idempotency);
    return reply.code(201).header('location', `/users/${user.id}`).send(user);
  });

  app.get('/users/:id', { schema: { params: userIdParams } }, async (request) => {
    const { id } = request.params as { id: string };
    const user = deps.users.findById(id);
    if (user === undefined) throw new ProblemError(404, 'user-not-found', `No user with id ${id}.`);
    return user;
  });
}
