import { IdPath } from '../../shared/schemas/schedules.js';
import { CreatedUser, CreateUserBody, PatchUserBody, User, UserListQuery } from '../../shared/schemas/users.js';
import { requestOrigin } from '../http/origin.js';
import { Page } from '../../shared/schemas/common.js';
import { SIGNED_IN, created, defineRoute, noContent, rolesOnly } from '../http/route.js';
import type { UsersService } from './users.service.js';

export function usersRoutes(users: UsersService) {
  return [
    defineRoute({
      method: 'get',
      path: '/users',
      summary: 'Users: all for admins, those sharing a location for managers',
      description:
        'Lists users by id, a page at a time, filtered by role, location, active flag or a search in name and email. Admins see everyone; managers see the people who share a location with them.',
      access: rolesOnly('admin', 'manager'),
      query: UserListQuery,
      success: { status: 200, schema: Page(User) },
      handler: ({ actor, query }) => users.list(actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id',
      summary: 'One user: oneself, or for admins and managers sharing a location',
      description:
        'One user with their role and locations. Anyone may read their own; admins anyone; managers the people who share a location with them. Anyone else gets a 404.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: User },
      errors: ['not_found'],
      readAhead: ({ id }) => users.readAhead(id),
      handler: ({ actor, params, readAhead }) => users.get(actor, params.id, readAhead),
    }),
    defineRoute({
      method: 'post',
      path: '/users',
      summary: 'Create a user (admins: any role; managers: crew of their locations)',
      description:
        'Creates a user with their locations. Admins may create any role at any location; managers only crew of their own locations (403 otherwise). Without `password` the person is invited: they get no password, and the answer (only this one) carries `inviteUrl`, a one-time link valid for 7 days where they choose one.',
      access: rolesOnly('admin', 'manager'),
      body: CreateUserBody,
      success: { status: 201, schema: CreatedUser },
      errors: ['forbidden', 'email_taken', 'unprocessable'],
      handler: async ({ actor, body, req }) => created(await users.create(actor, body, requestOrigin(req))),
    }),
    defineRoute({
      method: 'patch',
      path: '/users/:id',
      summary: 'Change a user (admins: anything; managers: their crew, within their locations; oneself: name and phone)',
      description:
        'Changes some of a user\'s fields. Admins may change anything; everyone their own name and phone. Managers place crew in and out of the locations they manage (locationIds, memberships); the name, phone and active flag of crew who work only at locations the manager runs (of anyone who also works elsewhere, an admin changes them). A field the caller may not change is a 403 naming it. A role, location or active change reaches the user\'s open sessions on their next request, and a deactivation or new password ends them.',
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
      description:
        'Deactivates a user: they can no longer sign in, their sessions end at once, and their shift history stays. Admins only; a manager who can see the user gets a 403.',
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
