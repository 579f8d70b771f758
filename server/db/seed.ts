import { count, eq } from 'drizzle-orm';
import { DateTime } from 'luxon';
import { addWeeks, localInstant, mondayOf } from '../../shared/time.js';
import { hashPassword } from '../auth/password.js';
import type { Logger } from '../logger.js';
import type { Database, Transaction } from './client.js';
import { availability, locationMembers, locations, schedules, shifts, timeOff, users } from './schema.js';

/**
 * Demo data: three venues in three time zones, their managers and crew (with hourly rates, weekly
 * limits, hours they cannot work and time off), this week's schedule published and next week's
 * as a draft, so that a new user sees warnings and labor cost at once. Loaded only on request
 * (`npm run seed`, SEED_DEMO=true on an empty database, or first-run setup's demo option); config
 * refuses SEED_DEMO in production.
 */

export const DEMO_PASSWORD = 'crewplots-demo-password';
export const DEMO_DOMAIN = 'demo.crewplots.example';

interface Venue {
  key: string;
  name: string;
  address: string;
  timezone: string;
  manager: string;
  positions: string[];
  crew: string[];
  /** Daily slots [start, end, position index]; an end before the start means the next day. */
  slots: Array<[string, string, number]>;
  /** Weekdays (0 = Monday) the venue is open. */
  days: number[];
}

const VENUES: Venue[] = [
  {
    key: 'amsterdam',
    name: 'The Copper Tap',
    address: 'Prinsengracht 112, 1015 EA Amsterdam',
    timezone: 'Europe/Amsterdam',
    manager: 'Femke de Vries',
    positions: ['Bartender', 'Barback', 'Host'],
    crew: ['Daan Jansen', 'Sanne Bakker', 'Lars Visser', 'Noor Smit', 'Bram Mulder', 'Julia Bos', 'Thijs Meijer', 'Eva de Boer', 'Milan Peters', 'Lotte Hendriks'],
    slots: [['16:00', '00:30', 0], ['18:00', '02:00', 0], ['17:00', '23:00', 1], ['19:00', '01:00', 2]],
    days: [1, 2, 3, 4, 5, 6],
  },
  {
    key: 'newyork',
    name: 'Harbor & Vine',
    address: '210 Water St, New York, NY 10038',
    timezone: 'America/New_York',
    manager: 'Marcus Reed',
    positions: ['Server', 'Line Cook', 'Host', 'Dishwasher'],
    crew: ['Aisha Carter', 'Diego Morales', 'Hannah Kim', 'Tyrone Jackson', 'Olivia Chen', 'Ethan Brooks', 'Priya Patel', 'Sofia Rossi', 'Jamal Wright', 'Grace Sullivan'],
    slots: [['11:00', '15:00', 0], ['16:30', '23:00', 0], ['10:00', '18:00', 1], ['17:00', '22:30', 2]],
    days: [0, 1, 2, 3, 4, 5, 6],
  },
  {
    key: 'sydney',
    name: 'Southern Lights Events',
    address: '1 Macquarie St, Sydney NSW 2000',
    timezone: 'Australia/Sydney',
    manager: 'Chloe Nguyen',
    positions: ['Stagehand', 'Rigger', 'Event Bar', 'Runner'],
    crew: ['Jack Thompson', 'Mia Wilson', 'Oliver Taylor', 'Isla Martin', 'Noah White', 'Ava Harris', 'Liam Walker', 'Zoe Young', 'Cooper King', 'Ruby Scott'],
    slots: [['14:00', '02:00', 0], ['12:00', '20:00', 1], ['18:00', '01:30', 2], ['16:00', '23:00', 3]],
    days: [3, 4, 5],
  },
];

const emailOf = (name: string) =>
  `${name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z ]/g, '')
    .trim()
    .replace(/\s+/g, '.')}@${DEMO_DOMAIN}`;

/** Hours some of the crew cannot work: [crew index, weekday (Monday = 1), from minute, to minute]. */
const UNAVAILABLE: Array<[number, number, number, number]> = [
  [1, 1, 0, 1440],
  [4, 2, 9 * 60, 17 * 60],
  [4, 4, 9 * 60, 17 * 60],
  [7, 7, 0, 12 * 60],
  [8, 5, 18 * 60, 1440],
];

/** A rate for the i-th crew member of a venue: 14.50 to 19.50, part-timers (every fourth) with a 16-hour week. */
const rateOf = (i: number) => (14.5 + (i % 5) * 1.25).toFixed(2);
const limitOf = (i: number) => (i % 4 === 3 ? '16' : '40');

function minutes(time: string): number {
  const [h, m] = time.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export async function seedDemo(db: Database, logger: Logger, now = new Date()): Promise<{ loaded: boolean }> {
  const adminEmail = `admin@${DEMO_DOMAIN}`;
  const existing = await db.select({ id: users.id }).from(users).where(eq(users.email, adminEmail));
  if (existing.length > 0) {
    logger.info('demo data is already loaded');
    return { loaded: false };
  }
  await db.transaction((tx) => insertDemo(tx, { withAdmin: true, now }));
  logger.info(`demo data loaded: sign in as admin@${DEMO_DOMAIN} with the demo password from the README`);
  return { loaded: true };
}

/** What insertDemo created, for the write path to declare (first-run setup). */
export interface DemoRows {
  userIds: number[];
  locationIds: number[];
  /** With `people`: who holds a shift in each (the venue's crew). */
  schedules: Array<{ schedule: { id: number; locationId: number; weekStart: string; status: 'draft' | 'published'; version: number }; people: number[] }>;
}

/**
 * The demo rows, in the caller's transaction. `withAdmin`: also the demo admin
 * (`admin@demo.crewplots.example`); first-run setup leaves it out, its new admin is the admin.
 */
export async function insertDemo(tx: Transaction, options: { withAdmin: boolean; now?: Date }): Promise<DemoRows> {
  const now = options.now ?? new Date();
  // One hash for every demo account: they share a published demo password anyway.
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const created: DemoRows = { userIds: [], locationIds: [], schedules: [] };
  if (options.withAdmin) {
    const [admin] = await tx.insert(users).values({ email: `admin@${DEMO_DOMAIN}`, name: 'Alex Admin', role: 'admin', passwordHash }).returning({ id: users.id });
    created.userIds.push(admin!.id);
  }
  const crewIdsByVenue: number[][] = [];

  for (const [index, venue] of VENUES.entries()) {
    const [location] = await tx
      .insert(locations)
      .values({ name: venue.name, address: venue.address, timezone: venue.timezone })
      .returning({ id: locations.id });
    const locationId = location!.id;
    created.locationIds.push(locationId);

    const [manager] = await tx
      .insert(users)
      .values({ email: emailOf(venue.manager), name: venue.manager, role: 'manager', passwordHash, phone: `+1 555 01${index}0` })
      .returning({ id: users.id });
    created.userIds.push(manager!.id);
    await tx.insert(locationMembers).values({ userId: manager!.id, locationId, position: 'Manager' });

    const crew = await tx
      .insert(users)
      .values(
        venue.crew.map((name, i) => ({
          email: emailOf(name),
          name,
          role: 'crew' as const,
          passwordHash,
          phone: i % 3 === 0 ? null : `+1 555 1${index}${String(i).padStart(2, '0')}`,
          hourlyRate: rateOf(i),
          maxWeeklyHours: limitOf(i),
        })),
      )
      .returning({ id: users.id });
    const crewIds = crew.map((c) => c.id);
    created.userIds.push(...crewIds);
    crewIdsByVenue.push(crewIds);
    await tx.insert(locationMembers).values(
      crewIds.map((userId, i) => ({ userId, locationId, position: venue.positions[i % venue.positions.length]! })),
    );
    await tx.insert(availability).values(UNAVAILABLE.map(([i, weekday, fromMinute, toMinute]) => ({ userId: crewIds[i]!, weekday, fromMinute, toMinute })));
    /** The local date of a crew member's first shift in a week, for time off that shows as a warning. */
    const workday = new Map<string, string>();

    const thisWeek = mondayOf(now, venue.timezone);
    for (const [weekStart, published] of [
      [thisWeek, true],
      [addWeeks(thisWeek, 1), false],
    ] as const) {
      const status = published ? ('published' as const) : ('draft' as const);
      const [schedule] = await tx
        .insert(schedules)
        .values({ locationId, weekStart, status, publishedAt: published ? now : null })
        .returning({ id: schedules.id, version: schedules.version });
      created.schedules.push({ schedule: { id: schedule!.id, locationId, weekStart, status, version: schedule!.version }, people: crewIds });
      const rows = venue.days.flatMap((day, dayIndex) =>
        venue.slots.map(([start, end, position], slot) => {
          const overnight = minutes(end) <= minutes(start);
          // Every third day's last slot is left open for crew to take.
          const open = slot === venue.slots.length - 1 && dayIndex % 3 === 1;
          return {
            scheduleId: schedule!.id,
            userId: open ? null : crewIds[(dayIndex * venue.slots.length + slot) % crewIds.length]!,
            position: venue.positions[position]!,
            startsAt: localInstant(weekStart, day, start, venue.timezone),
            endsAt: localInstant(weekStart, overnight ? day + 1 : day, end, venue.timezone),
            notes: open ? 'Open shift: take it in the app' : overnight ? 'Closing shift' : null,
          };
        }),
      );
      await tx.insert(shifts).values(rows);
      for (const row of rows) {
        const key = `${weekStart}:${row.userId}`;
        if (row.userId !== null && !workday.has(key)) workday.set(key, DateTime.fromJSDate(row.startsAt, { zone: venue.timezone }).toISODate()!);
      }
    }
    // Approved time off on a day the third crew member is planned this week; a request waiting
    // for the manager on a day the sixth works next week; an approved week away next month.
    const away = (i: number, weekStart: string) => workday.get(`${weekStart}:${crewIds[i]}`) ?? weekStart;
    const approvedDay = away(2, thisWeek);
    const askedDay = away(5, addWeeks(thisWeek, 1));
    const later = addWeeks(thisWeek, 4);
    await tx.insert(timeOff).values([
      { userId: crewIds[2]!, startsOn: approvedDay, endsOn: approvedDay, status: 'approved', note: 'Family visit', createdBy: crewIds[2]!, decidedBy: manager!.id, decidedAt: now },
      { userId: crewIds[5]!, startsOn: askedDay, endsOn: askedDay, status: 'pending', note: 'Exam', createdBy: crewIds[5]! },
      { userId: crewIds[9]!, startsOn: later, endsOn: addWeeks(later, 1), status: 'approved', note: 'Holiday', createdBy: manager!.id, decidedBy: manager!.id, decidedAt: now },
    ]);
  }

  // A few people work at two venues (members of both). The first also helps out at the Amsterdam
  // bar on Monday mornings, before their New York shift that day: the Amsterdam week warns that
  // they work elsewhere that day and rest too little in between.
  const amsterdam = created.locationIds[0]!;
  const [helper] = crewIdsByVenue[1] ?? [];
  await tx.insert(locationMembers).values((crewIdsByVenue[1] ?? []).slice(0, 2).map((userId) => ({ userId, locationId: amsterdam, position: 'Bartender' })));
  const amsterdamWeeks = created.schedules.filter((s) => s.schedule.locationId === amsterdam);
  await tx.insert(shifts).values(
    amsterdamWeeks.map(({ schedule }) => ({
      scheduleId: schedule.id,
      userId: helper!,
      position: 'Bartender',
      startsAt: localInstant(schedule.weekStart, 0, '10:00', VENUES[0]!.timezone),
      endsAt: localInstant(schedule.weekStart, 0, '14:00', VENUES[0]!.timezone),
      notes: 'Stock take',
    })),
  );
  for (const week of amsterdamWeeks) week.people = [...week.people, helper!];
  return created;
}

/** SEED_DEMO=true: load the demo only into a database that has no users yet. */
export async function seedDemoIfEmpty(db: Database, logger: Logger): Promise<void> {
  const [row] = await db.select({ n: count() }).from(users);
  if ((row?.n ?? 0) > 0) {
    logger.info('SEED_DEMO is set but the database already has users: demo data not loaded');
    return;
  }
  await seedDemo(db, logger);
}
