import type { z } from 'zod';
import type {
  CreateLocationBody,
  CreateScheduleBody,
  CreateShiftBody,
  CreatedSchedule,
  CreateUserBody,
  Membership,
  PatchLocationBody,
  PatchShiftBody,
  PatchUserBody,
  SkippedShift,
} from '../../../shared/index.js';

export type { Availability, Labor, Location, LocationWeek, Role, Schedule, ScheduleSummary, Shift, TimeOff, UnavailableWindow, User, UserShift, Warning, WarningCode } from '../../../shared/index.js';
export type { Notification, NotificationPage, ScheduleChanges, PublishedShift, ShiftRequest, ShiftRequestAction, ShiftRequestStatus } from '../../../shared/index.js';
export type { PresentEditor, SchedulePresence } from '../../../shared/index.js';

/** What the client sends: the schemas' input side (instants as strings, before transforms). */
export type CreateUserInput = z.input<typeof CreateUserBody>;
export type PatchUserInput = z.input<typeof PatchUserBody>;
export type CreateLocationInput = z.input<typeof CreateLocationBody>;
export type PatchLocationInput = z.input<typeof PatchLocationBody>;
export type CreateScheduleInput = z.input<typeof CreateScheduleBody>;
export type CreateShiftInput = z.input<typeof CreateShiftBody>;
export type PatchShiftInput = z.input<typeof PatchShiftBody>;

export type Membership = z.infer<typeof Membership>;
export type SkippedShift = z.infer<typeof SkippedShift>;
export type CreatedSchedule = z.infer<typeof CreatedSchedule>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
