import { IdPath } from '../../shared/schemas/schedules.js';
import { CreateUserBody, PatchUserBody, User, UserListQuery } from '../../shared/schemas/users.js';
import { Page } from '../../shared/schemas/common.js';
import { SIGNED_IN, created, defineRoute, noContent, rolesOnly } from '../http/route.js';
import type { UsersService } from './users.service.js';

export function usersRoutes(users: UsersService) {
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      summary: 'Users: all for admins, those sharing a location for managers',
      access: rolesOnly('admin', 'manager'),
      query: UserListQuery,
      success: { status: 200, schema: Page(User) },
      handler: ({ actor, query }) => users.list(actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id',
      summary: 'One user: oneself, or for admins and managers sharing a location',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: User },
      errors: ['not_found'],
      handler: ({ actor, params }) => users.get(actor, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      summary: 'Create a user (admins: any role; managers: crew of their locations)',
      access: rolesOnly('admin', 'manager'),
      body: CreateUserBody,
      success: { status: 201, schema: User },
      errors: ['forbidden', 'email_taken', 'unprocessable'],
      handler: async ({ actor, body }) => created(await users.create(actor, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      summary: 'Change a user (admins: anything; managers: their crew, within their locations; oneself: name and phone)',
      access: SIGNED_IN,
      params: IdPath,
      body: PatchUserBody,
      success: { status: 200, schema: User },
      errors: ['not_found', 'forbidden', 'email_taken', 'unprocessable'],
      handler: ({ actor, params, body, req }) => users.update(actor, params.id, body, req.sessionID),
    }),
    defineRoute({
      method: 'delete',
      path: '/users/:id',
      summary: 'Deactivate a user (shift history stays); their sessions end at once',
      // Not role-gated here: a user the caller cannot see is a 404, one they can see but not deactivate a 403.
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'unprocessable'],
      handler: async ({ actor, params }) => {
        await users.deactivate(actor, params.id);
        return noContent();
      },
    }),
  ];
}
