import { Page } from '../../shared/schemas/common.js';
import { IdPath } from '../../shared/schemas/schedules.js';
import { CreateShiftRequestBody, PatchShiftRequestBody, ShiftRequest, ShiftRequestListQuery } from '../../shared/schemas/shift-requests.js';
import { SIGNED_IN, created, defineRoute } from '../http/route.js';
import type { ShiftRequestsService } from './shift-requests.service.js';

export function shiftRequestsRoutes(requests: ShiftRequestsService) {
  return [
    defineRoute({
      method: 'get',
      path: '/shift-requests',
      summary: 'Shift requests, newest first (crew: those they made or were asked)',
      description:
        'Lists drop and swap requests, newest first, a page at a time, by location and status. Crew see the requests they made or were asked to answer; managers also every request at their locations; admins all. An undecided request whose shift has started is `expired`.',
      access: SIGNED_IN,
      query: ShiftRequestListQuery,
      success: { status: 200, schema: Page(ShiftRequest) },
      handler: ({ actor, query }) => requests.list(actor, query),
    }),
    defineRoute({
      method: 'post',
      path: '/shift-requests',
      summary: 'Ask to drop a shift, or to hand it to a colleague (a swap)',
      description:
        'By the person on a shift of a published week that has not started. A drop waits for a manager; a swap first for the colleague named in `toUserId` (an active member of the location who is free then), then for a manager. A shift has at most one undecided request (409 `request_exists`). Someone else’s shift is a 403; an open shift, oneself or a person outside the location a 422 naming the field.',
      access: SIGNED_IN,
      body: CreateShiftRequestBody,
      success: { status: 201, schema: ShiftRequest },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'request_exists', 'conflict'],
      handler: async ({ actor, body }) => created(await requests.create(actor, body)),
    }),
    defineRoute({
      method: 'get',
      path: '/shift-requests/:id',
      summary: 'One shift request',
      description: 'A shift request, for the person who made it, the colleague asked, the location’s managers and admins; anyone else gets a 404.',
      access: SIGNED_IN,
      params: IdPath,
      success: { status: 200, schema: ShiftRequest },
      errors: ['not_found'],
      handler: ({ actor, params }) => requests.get(actor, params.id),
    }),
    defineRoute({
      method: 'patch',
      path: '/shift-requests/:id',
      summary: 'Answer a shift request: accept, decline, approve, deny or cancel',
      description:
        'The colleague asked `accept`s or `decline`s a swap; a manager of the location (or an admin) `approve`s or `deny`s (a swap once accepted); the requester may `cancel` while undecided. Approval applies the change in one transaction: a swap gives the shift to the colleague (409 `shift_overlap` if they are no longer free), a drop makes it open. A request no longer open to the action is a 409 `request_decided`; one whose shift has started a 409 `request_expired`.',
      access: SIGNED_IN,
      params: IdPath,
      body: PatchShiftRequestBody,
      success: { status: 200, schema: ShiftRequest },
      errors: ['not_found', 'forbidden', 'unprocessable', 'shift_overlap', 'request_decided', 'request_expired', 'conflict'],
      handler: ({ actor, params, body }) => requests.act(actor, params.id, body.action),
    }),
  ];
}
