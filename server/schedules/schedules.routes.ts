import { Page } from '../../shared/schemas/common.js';
import {
  CreateScheduleBody,
  CreateShiftBody,
  CreatedSchedule,
  IdPath,
  PatchScheduleBody,
  PatchShiftBody,
  Schedule,
  ScheduleListQuery,
  ScheduleSummary,
  Shift,
  ShiftPath,
  UserShift,
  UserShiftsQuery,
} from '../../shared/schemas/schedules.js';
import { SIGNED_IN, created, defineRoute, noContent } from '../http/route.js';
import type { SchedulesService } from './schedules.service.js';

/** `from`/`to` of a user's shift list: an instant, or a date meaning its midnight UTC. */
const toInstant = (v: string | undefined) => (v === undefined ? undefined : new Date(v.length === 10 ? `${v}T00:00:00Z` : v));

export function schedulesRoutes(schedules: SchedulesService) {
  return [
    defineRoute({
      method: 'get',
      path: '/schedules',
      summary: 'Schedule summaries, newest week first (crew: published weeks of their locations)',
      access: SIGNED_IN,
      query: ScheduleListQuery,
      success: { status: 200, schema: Page(ScheduleSummary) },
      handler: ({ actor, query }) => schedules.list(actor, query),
    }),
    defineRoute({
      method: 'post',
      path: '/schedules',
      summary: "Create a location's week as a draft, optionally copying another week's shifts",
      access: SIGNED_IN,
      body: CreateScheduleBody,
      success: { status: 201, schema: CreatedSchedule },
      errors: ['not_found', 'forbidden', 'schedule_exists', 'unprocessable', 'conflict'],
      handler: async ({ actor, body }) => created(await schedules.create(actor, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/schedules/:id',
      summary: 'A schedule with its shifts, by start time then id',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Schedule },
      errors: ['not_found'],
      handler: ({ actor, params }) => schedules.get(actor, params.id),
    }),
    defineRoute({
      method: 'patch',
      path: '/schedules/:id',
      summary: 'Publish or unpublish a schedule',
      access: SIGNED_IN,
      params: IdPath,
      body: PatchScheduleBody,
      success: { status: 200, schema: Schedule },
      errors: ['not_found', 'forbidden'],
      handler: ({ actor, params, body }) => schedules.setStatus(actor, params.id, body.status),
    }),
    defineRoute({
      method: 'delete',
      path: '/schedules/:id',
      summary: 'Delete a draft schedule',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'schedule_published'],
      handler: async ({ actor, params }) => {
        await schedules.delete(actor, params.id);
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/schedules/:id/shifts',
      summary: 'Add a shift (no userId: an open shift)',
      access: SIGNED_IN,
      params: IdPath,
      body: CreateShiftBody,
      success: { status: 201, schema: Shift },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'conflict'],
      handler: async ({ actor, params, body }) => created(await schedules.addShift(actor, params.id, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/schedules/:id/shifts/:shiftId',
      summary: 'Change a shift',
      access: SIGNED_IN,
      params: ShiftPath,
      body: PatchShiftBody,
      success: { status: 200, schema: Shift },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'conflict'],
      handler: ({ actor, params, body }) => schedules.updateShift(actor, params.id, params.shiftId, body),
    }),
    defineRoute({
      method: 'delete',
      path: '/schedules/:id/shifts/:shiftId',
      summary: 'Delete a shift',
      access: SIGNED_IN,
      params: ShiftPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden'],
      handler: async ({ actor, params }) => {
        await schedules.deleteShift(actor, params.id, params.shiftId);
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/schedules/:id/shifts/:shiftId/claim',
      summary: 'Take an open shift of a published week before it starts (crew of the location); one of concurrent claims wins',
      access: SIGNED_IN,
      params: ShiftPath,
      success: { status: 200, schema: Shift },
      errors: ['not_found', 'forbidden', 'shift_taken', 'shift_overlap', 'conflict', 'unprocessable'],
      handler: ({ actor, params }) => schedules.claim(actor, params.id, params.shiftId),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id/shifts',
      summary: "A user's shifts in the weeks the caller may see, oldest first (managers: at their locations; oneself: in published weeks)",
      access: SIGNED_IN,
      params: IdPath,
      query: UserShiftsQuery,
      success: { status: 200, schema: Page(UserShift) },
      errors: ['not_found'],
      handler: ({ actor, params, query }) =>
        schedules.userShifts(actor, params.id, { from: toInstant(query.from), to: toInstant(query.to), limit: query.limit, cursor: query.cursor }),
    }),
  ];
}

