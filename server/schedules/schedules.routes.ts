import { Page } from '../../shared/schemas/common.js';
import {
  CreateScheduleBody,
  CreateShiftBody,
  CreatedSchedule,
  IdPath,
  LocationWeek,
  PatchScheduleBody,
  PatchShiftBody,
  Schedule,
  ScheduleListQuery,
  ScheduleSummary,
  Shift,
  ShiftPath,
  UserShift,
  UserShiftsQuery,
  WeekPath,
} from '../../shared/schemas/schedules.js';
import { ScheduleChanges } from '../../shared/schemas/publications.js';
import { SavedShift } from '../../shared/schemas/planning.js';
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
      description:
        'Lists schedule summaries, newest week first, a page at a time, filtered by location, week range or status. Crew see the published weeks of their locations; managers every week of theirs; admins all.',
      access: SIGNED_IN,
      query: ScheduleListQuery,
      success: { status: 200, schema: Page(ScheduleSummary) },
      handler: ({ actor, query }) => schedules.list(actor, query),
    }),
    defineRoute({
      method: 'post',
      path: '/schedules',
      summary: "Create a location's week as a draft, optionally copying another week's shifts",
      description:
        'Creates a location\'s week as a draft, for the location\'s managers and admins. With `copyFromScheduleId` the shifts of another week of the same location are copied into it; a week that already exists is a 409.',
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
      description:
        'A schedule with all its shifts, by start time then id. Crew may read published weeks of their locations only; a draft answers them 404.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: Schedule },
      errors: ['not_found'],
      readAhead: ({ id }) => schedules.readAhead(id),
      handler: ({ actor, params, readAhead }) => schedules.get(actor, params.id, readAhead),
    }),
    defineRoute({
      method: 'get',
      path: '/locations/:id/weeks/:weekStart',
      summary: "A location's week: its schedule with shifts (or null) and the previous week's summary",
      description:
        'A location\'s week by its Monday, in one answer: the schedule with its shifts as `GET /schedules/{id}` answers it, or null while the week has none the caller may see (crew: a draft), and the previous week\'s summary (null without one), which a new week can be copied from. For the location\'s members and admins; anyone else gets a 404.',
      access: SIGNED_IN,
      params: WeekPath,
      success: { status: 200, schema: LocationWeek },
      errors: ['not_found'],
      handler: ({ actor, params }) => schedules.week(actor, params.id, params.weekStart),
    }),
    defineRoute({
      method: 'patch',
      path: '/schedules/:id',
      summary: 'Publish or unpublish a schedule',
      description:
        'Publishes a draft or takes a published week back to draft, for the location\'s managers and admins. Publishing makes the week visible to its crew; setting the status it has changes nothing. With `If-Match: "<version>"`, a week changed since is a 412 holding it as it is now and who changed it; nothing changes.',
      access: SIGNED_IN,
      params: IdPath,
      body: PatchScheduleBody,
      success: { status: 200, schema: Schedule },
      errors: ['not_found', 'forbidden'],
      ifMatch: true,
      handler: ({ actor, params, body, ifMatch }) => schedules.setStatus(actor, params.id, body.status, ifMatch),
    }),
    defineRoute({
      method: 'delete',
      path: '/schedules/:id',
      summary: 'Delete a draft schedule',
      description:
        'Deletes a draft schedule and its shifts, for the location\'s managers and admins. A published week is refused with a 409: unpublish it first. With `If-Match: "<version>"`, a week changed since is a 412 holding it as it is now and who changed it; nothing changes.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'schedule_published'],
      ifMatch: true,
      handler: async ({ actor, params, ifMatch }) => {
        await schedules.delete(actor, params.id, ifMatch);
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/schedules/:id/shifts',
      summary: 'Add a shift (no userId: an open shift)',
      description:
        'Adds a shift to a schedule, assigned to a member of the location or open (no `userId`) for its crew to take. It ends after it starts and lasts at most 16 hours; one that would overlap another shift of the same person, anywhere, is a 409 listing the shifts in the way. The answer carries the codes of the shift\'s warnings (time off, availability, rest, hours, other locations); a warning never stops a save.',
      access: SIGNED_IN,
      params: IdPath,
      body: CreateShiftBody,
      success: { status: 201, schema: SavedShift },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'conflict'],
      handler: async ({ actor, params, body }) => created(await schedules.addShift(actor, params.id, body)),
    }),
    defineRoute({
      method: 'patch',
      path: '/schedules/:id/shifts/:shiftId',
      summary: 'Change a shift',
      description:
        'Changes a shift\'s person, position, times or notes, under the same rules as adding one; fields not sent keep their stored values. For the location\'s managers and admins. With `If-Match: "<version>"`, a shift changed or deleted since is a 412 holding it as it is now (null when deleted) and who changed it; nothing changes.',
      access: SIGNED_IN,
      params: ShiftPath,
      body: PatchShiftBody,
      success: { status: 200, schema: SavedShift },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'conflict'],
      ifMatch: true,
      handler: ({ actor, params, body, ifMatch }) => schedules.updateShift(actor, params.id, params.shiftId, body, ifMatch),
    }),
    defineRoute({
      method: 'delete',
      path: '/schedules/:id/shifts/:shiftId',
      summary: 'Delete a shift',
      description:
        'Deletes a shift from a schedule, for the location\'s managers and admins. With `If-Match: "<version>"`, a shift changed or deleted since is a 412 holding it as it is now (null when deleted) and who changed it; nothing changes.',
      access: SIGNED_IN,
      params: ShiftPath,
      success: { status: 204, schema: null },
      errors: ['not_found', 'forbidden', 'conflict'],
      ifMatch: true,
      handler: async ({ actor, params, ifMatch }) => {
        await schedules.deleteShift(actor, params.id, params.shiftId, ifMatch);
        return noContent();
      },
    }),
    defineRoute({
      method: 'post',
      path: '/schedules/:id/shifts/:shiftId/claim',
      summary: 'Take an open shift of a published week before it starts (crew of the location); one of concurrent claims wins',
      description:
        'A crew member of the location takes an open shift of a published week that has not started. Of several claims at once exactly one wins; the others get a 409 `shift_taken`, or `shift_overlap` when the shift would overlap one of their own.',
      access: SIGNED_IN,
      params: ShiftPath,
      success: { status: 200, schema: Shift },
      errors: ['not_found', 'forbidden', 'shift_taken', 'shift_overlap', 'conflict', 'unprocessable'],
      handler: ({ actor, params }) => schedules.claim(actor, params.id, params.shiftId),
    }),
    defineRoute({
      method: 'get',
      path: '/schedules/:id/changes',
      summary: 'What changed since the week was last published (managers, admins)',
      description:
        'The shifts added, removed and changed since the schedule was last published (every shift is `added` if it never was), for the publish confirmation. For the location\'s managers and admins; crew who may see the week get a 403.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: ScheduleChanges },
      errors: ['not_found', 'forbidden'],
      handler: ({ actor, params }) => schedules.changesSincePublished(actor, params.id),
    }),
    defineRoute({
      method: 'get',
      path: '/users/:id/shifts',
      summary: "A user's shifts in the weeks the caller may see, oldest first (managers: at their locations; oneself: in published weeks)",
      description:
        'A person\'s shifts, oldest first, a page at a time, optionally within `from` and `to`: those in weeks the caller may see. Managers see the shifts at the locations they manage, drafts included; everyone sees their own shifts in published weeks, wherever they are; admins see all.',
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

