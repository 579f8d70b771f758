import type { Query } from './http.js';

/** Query keys in one place, so a write can invalidate exactly the views it changed. */
export const keys = {
  me: ['me'] as const,
  locations: ['locations'] as const,
  users: ['users'] as const,
  userList: (filter: Query) => ['users', 'list', filter] as const,
  locationCrew: (locationId: number) => ['users', 'location', locationId] as const,
  userShifts: (userId: number) => ['user-shifts', userId] as const,
  schedules: ['schedules'] as const,
  scheduleList: (filter: Query) => ['schedules', 'list', filter] as const,
  schedule: (id: number) => ['schedules', 'one', id] as const,
  scheduleChanges: (id: number) => ['schedules', 'changes', id] as const,
  shiftRequests: ['shift-requests'] as const,
  shiftRequestList: (filter: Query) => ['shift-requests', 'list', filter] as const,
  notifications: ['notifications'] as const,
  /** A location's week (GET /locations/:id/weeks/:weekStart): the planner's one read of a week. */
  week: (locationId: number, weekStart: string) => ['schedules', 'week', locationId, weekStart] as const,
  // Under `schedules`: every write that refreshes the weeks refreshes what is derived from them.
  warnings: (scheduleId: number) => ['schedules', 'warnings', scheduleId] as const,
  labor: (scheduleId: number) => ['schedules', 'labor', scheduleId] as const,
  timeOff: ['time-off'] as const,
  timeOffList: (filter: Query) => ['time-off', filter] as const,
  availability: (userId: number) => ['availability', userId] as const,
};
