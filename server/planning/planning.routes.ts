import { Page } from '../../shared/schemas/common.js';
import {
  Availability,
  CreateTimeOffBody,
  DecideTimeOffBody,
  Labor,
  TimeOff,
  TimeOffListQuery,
  TimeOffPath,
  Warnings,
} from '../../shared/schemas/planning.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { SIGNED_IN, created, defineRoute, noContent } from '../http/route.js';
import type { PlanningService } from './planning.service.js';

export function planningRoutes(planning: PlanningService) {
  return [
    defineRoute({
      method: 'get',
      path: '/users/:id/availability',
      summary: "The hours a person cannot work each week",
      description:
        "The hours a person cannot work, by weekday (Monday = 1), in the wall-clock time of whichever location a shift is at. For the person, managers who share a location with them, and admins.",
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Availability },
      errors: ['not_found'],
      handler: ({ actor, params }) => planning.availability(actor, params.id),
    }),
    defineRoute({
      method: 'put',
      path: '/users/:id/availability',
      summary: "Replace the hours a person cannot work each week",
      description:
        "Replaces a person's unavailable windows (`from` before `to`, `24:00` allowed). The person sets their own; a manager of one of a crew member's locations, or an admin, may set them too. Every week whose warnings read them is refreshed.",
      access: SIGNED_IN,
      params: IdPath,
      body: Availability,
      success: { status: 200, schema: Availability },
      errors: ['not_found', 'forbidden', 'conflict'],
      handler: ({ actor, params, body }) => planning.setAvailability(actor, params.id, body),
    }),
    defineRoute({
      method: 'get',
      path: '/time-off',
      summary: 'Time off, earliest first (crew: their own)',
      description:
        "Lists time off, earliest first, a page at a time, filtered by person, location, status or dates (`from`/`to` keep what overlaps them). Crew see their own; managers that of the people who share one of their locations; admins all.",
      access: SIGNED_IN,
      query: TimeOffListQuery,
      success: { status: 200, schema: Page(TimeOff) },
      handler: ({ actor, query }) => planning.listTimeOff(actor, query),
    }),
    defineRoute({
      method: 'post',
      path: '/time-off',
      summary: 'Ask for time off, or enter it for someone (approved)',
      description:
        "Days off, inclusive, at most 366. Asked by the person for themselves, it is `pending`; entered by one of their managers or an admin (with `userId`), it is `approved` at once.",
      access: SIGNED_IN,
      body: CreateTimeOffBody,
      success: { status: 201, schema: TimeOff },
      errors: ['not_found', 'forbidden', 'unprocessable', 'conflict'],
      handler: async ({ actor, body }) => created(await planning.requestTimeOff(actor, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/time-off/:id',
      summary: 'Approve or deny time off',
      description:
        "Approves or denies time off, for a manager of one of the person's locations or an admin (not the person themselves). The person's weeks show it in their warnings at once.",
      access: SIGNED_IN,
      params: TimeOffPath,
      body: DecideTimeOffBody,
      success: { status: 200, schema: TimeOff },
      errors: ['not_found', 'forbidden', 'conflict'],
      handler: ({ actor, params, body }) => planning.decideTimeOff(actor, params.id, body.status),
    }),
    defineRoute({
      method: 'delete',
      path: '/time-off/:id',
      summary: 'Withdraw time off',
      description: "Deletes time off: the person's own while it is pending, or any of theirs for their managers and admins.",
      access: SIGNED_IN,
      params: TimeOffPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'conflict'],
      handler: async ({ actor, params }) => {
        await planning.deleteTimeOff(actor, params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'get',
      path: '/schedules/:id/warnings',
      summary: "The week's warnings: time off, availability, rest, hours, other locations",
      description:
        "Every warning of the week's assigned shifts, by shift start: approved or pending time off that day, an unavailable window, less than 10 hours' rest before or after (at any location), the person's hours this week above their limit (all locations), work at another location that day. For the location's managers and admins.",
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Warnings },
      errors: ['not_found', 'forbidden'],
      handler: ({ actor, params }) => planning.warnings(actor, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/schedules/:id/labor',
      summary: "The week's hours and cost, per person and per day",
      description:
        "Hours and cost of the week's shifts in the deployment's currency: per person (with overtime, their hours this week at every location above their limit), per local day (a shift counts on the day it starts) and in all. Open shifts count in hours, not cost. For the location's managers and admins.",
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Labor },
      errors: ['not_found', 'forbidden'],
      handler: ({ actor, params }) => planning.labor(actor, params.id),
    }),
  ];
}
