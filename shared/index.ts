export * from './errors.js';
export * from './time.js';
export * from './schemas/common.js';
export * from './schemas/users.js';
export * from './schemas/locations.js';
export * from './schemas/schedules.js';
export * from './schemas/planning.js';
export * from './schemas/calendar.js';
