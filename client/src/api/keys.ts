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
};
