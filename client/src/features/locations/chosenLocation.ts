import type { Location } from '../../api/types.js';

const STORAGE_KEY = 'crewplots.location';

/**
 * The location a screen shows: the one in the address if it is one of the person's, else the one
 * they looked at last on this device, else the first.
 */
export function chooseLocation(locations: Location[], fromAddress: string | null): Location | undefined {
  const byId = (id: string | null) => (id ? locations.find((l) => String(l.id) === id) : undefined);
  return byId(fromAddress) ?? byId(readStored()) ?? locations[0];
}

export function rememberLocation(id: number): void {
  try {
    localStorage.setItem(STORAGE_KEY, String(id));
  } catch {
    // Private browsing can refuse storage; the choice then lasts only as long as the address.
  }
}

function readStored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}
