import type { Location } from '../../api/types.js';

const STORAGE_KEY = 'crewplots.location';
/** The remembered location's time zone: which week is "this week" there, known before the locations load. */
const ZONE_KEY = 'crewplots.location.zone';

/**
 * The location a screen shows: the one in the address if it is one of the person's, else the one
 * they looked at last on this device, else the first.
 */
export function chooseLocation(locations: Location[], fromAddress: string | null): Location | undefined {
  const byId = (id: string | null) => (id ? locations.find((l) => String(l.id) === id) : undefined);
  return byId(fromAddress) ?? byId(readStored()) ?? locations[0];
}

export function rememberLocation(location: Pick<Location, 'id' | 'timezone'>): void {
  try {
    localStorage.setItem(STORAGE_KEY, String(location.id));
    localStorage.setItem(ZONE_KEY, location.timezone);
  } catch {
    // Private browsing can refuse storage; the choice then lasts only as long as the address.
  }
}

function readStored(key = STORAGE_KEY): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}

/** The location this device looked at last, and its zone if known, for loading ahead (app/preload.ts). */
export function storedLocation(): { id: string; timezone: string | null } | null {
  const id = readStored();
  return id ? { id, timezone: readStored(ZONE_KEY) } : null;
}
