import { z } from 'zod';
import { Cursor, Id, IdParam, Instant, Limit, NullableText } from './common.js';

export const SHIFT_REQUEST_KINDS = ['drop', 'swap'] as const;
export const ShiftRequestKind = z.enum(SHIFT_REQUEST_KINDS);

/**
 * `pending` → (`accepted`, a swap's colleague said yes →) `approved` | `denied` | `declined` |
 * `cancelled` | `expired` (the shift started undecided). `pending` and `accepted` are open.
 */
export const SHIFT_REQUEST_STATUSES = ['pending', 'accepted', 'approved', 'denied', 'declined', 'cancelled', 'expired'] as const;
export const ShiftRequestStatus = z.enum(SHIFT_REQUEST_STATUSES);
export type ShiftRequestStatus = z.infer<typeof ShiftRequestStatus>;
export const OPEN_SHIFT_REQUEST_STATUSES = ['pending', 'accepted'] as const satisfies readonly ShiftRequestStatus[];

/** Who answers with which action: the colleague asked (accept, decline), a manager (approve, deny), the requester (cancel). */
export const SHIFT_REQUEST_ACTIONS = ['accept', 'decline', 'approve', 'deny', 'cancel'] as const;
export const ShiftRequestAction = z.enum(SHIFT_REQUEST_ACTIONS);
export type ShiftRequestAction = z.infer<typeof ShiftRequestAction>;

const PersonRef = z.strictObject({ id: Id, name: z.string() });

export const ShiftRequest = z
  .strictObject({
    id: Id,
    kind: ShiftRequestKind,
    status: ShiftRequestStatus,
    shiftId: Id,
    scheduleId: Id,
    locationId: Id,
    weekStart: z.string().meta({ description: 'The Monday of the shift’s week' }),
    shift: z.strictObject({ position: z.string(), startsAt: Instant, endsAt: Instant }).meta({ description: 'The shift as it is now' }),
    requester: PersonRef,
    toUser: PersonRef.nullable().meta({ description: 'A swap’s colleague, who would take the shift; null for a drop' }),
    note: z.string().nullable(),
    decidedBy: PersonRef.nullable().meta({ description: 'Who approved, denied, declined or cancelled it' }),
    decidedAt: Instant.nullable(),
    createdAt: Instant,
    updatedAt: Instant,
  })
  .meta({ id: 'ShiftRequest' });
export type ShiftRequest = z.infer<typeof ShiftRequest>;

export const CreateShiftRequestBody = z
  .strictObject({
    shiftId: Id,
    kind: ShiftRequestKind,
    toUserId: Id.optional().meta({ description: 'The colleague who would take the shift: required for a swap, refused for a drop' }),
    note: NullableText(500).optional(),
  })
  .superRefine((v, ctx) => {
    if (v.kind === 'swap' && v.toUserId === undefined) ctx.addIssue({ code: 'custom', path: ['toUserId'], message: 'is required for a swap' });
    if (v.kind === 'drop' && v.toUserId !== undefined) ctx.addIssue({ code: 'custom', path: ['toUserId'], message: 'is only for a swap' });
  })
  .meta({ id: 'CreateShiftRequestBody' });
export type CreateShiftRequestBody = z.infer<typeof CreateShiftRequestBody>;

export const PatchShiftRequestBody = z.strictObject({ action: ShiftRequestAction }).meta({ id: 'PatchShiftRequestBody' });

export const ShiftRequestListQuery = z.strictObject({
  locationId: IdParam.optional(),
  status: ShiftRequestStatus.optional(),
  limit: Limit,
  cursor: Cursor.optional(),
});
export type ShiftRequestListQuery = z.infer<typeof ShiftRequestListQuery>;
