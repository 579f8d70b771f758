import { Page } from '../../shared/schemas/common.js';
import { CreateLocationBody, Location, LocationListQuery, PatchLocationBody } from '../../shared/schemas/locations.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { SIGNED_IN, created, defineRoute, noContent, rolesOnly } from '../http/route.js';
import type { LocationsService } from './locations.service.js';

export function locationsRoutes(locations: LocationsService) {
  return [
    defineRoute({
      method: 'get',
      path: '/locations',
      summary: 'Locations: all for admins, their own for everyone else',
      description:
        'Lists locations by name, a page at a time: every location for admins, the caller\'s own for everyone else.',
      access: SIGNED_IN,
      query: LocationListQuery,
      success: { status: 200, schema: Page(Location) },
      handler: ({ actor, query }) => locations.list(actor, query),
    }),
    defineRoute({
      method: 'get',
      path: '/locations/:id',
      summary: 'One location',
      description:
        'One location with its time zone and address, for its members and admins; anyone else gets a 404.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Location },
      errors: ['not_found'],
      handler: ({ actor, params }) => locations.get(actor, params.id),
    }),
    defineRoute({
      method: 'post',
      path: '/locations',
      summary: 'Create a location (admins)',
      description:
        'Creates a location with its name, IANA time zone and address. Admins only.',
      access: rolesOnly('admin'),
      body: CreateLocationBody,
      success: { status: 201, schema: Location },
      handler: async ({ actor, body }) => created(await locations.create(actor, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/locations/:id',
      summary: 'Change a location (admins; managers of it: name and address); the zone only while it has no schedules',
      description:
        'Changes a location. Admins may change anything; its managers its name and address. The time zone can change only while the location has no schedules (409), since their weeks are laid out in it.',
      // Not role-gated here: the service answers 404 for a location the caller cannot see, 403 for one they can.
      access: SIGNED_IN,
      params: IdPath,
      body: PatchLocationBody,
      success: { status: 200, schema: Location },
      errors: ['not_found', 'forbidden', 'conflict'],
      handler: ({ actor, params, body }) => locations.update(actor, params.id, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/locations/:id',
      summary: 'Delete a location (admins); refused while it has schedules',
      description:
        'Deletes a location and its memberships. Admins only; refused with a 409 while it has schedules.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'conflict'],
      handler: async ({ actor, params }) => {
        await locations.delete(actor, params.id);
        return noContent();
      },
    }),
  ];
}
