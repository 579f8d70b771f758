import { IANAZone } from 'luxon';

/**
 * Zones the IANA database has renamed, under the old names that browsers still list: ICU keeps
 * CLDR's first spelling, so Chromium offers Asia/Calcutta and Europe/Kiev but neither Asia/Kolkata
 * nor Europe/Kyiv (it accepts both). Zones that IANA merely links to another with the same clock
 * since 1970 (Europe/Bratislava → Europe/Prague) are places in their own right and stay.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'Africa/Asmera': 'Africa/Asmara',
  'America/Buenos_Aires': 'America/Argentina/Buenos_Aires',
  'America/Catamarca': 'America/Argentina/Catamarca',
  'America/Coral_Harbour': 'America/Atikokan',
  'America/Cordoba': 'America/Argentina/Cordoba',
  'America/Godthab': 'America/Nuuk',
  'America/Indianapolis': 'America/Indiana/Indianapolis',
  'America/Jujuy': 'America/Argentina/Jujuy',
  'America/Louisville': 'America/Kentucky/Louisville',
  'America/Mendoza': 'America/Argentina/Mendoza',
  'Asia/Calcutta': 'Asia/Kolkata',
  'Asia/Katmandu': 'Asia/Kathmandu',
  'Asia/Rangoon': 'Asia/Yangon',
  'Asia/Saigon': 'Asia/Ho_Chi_Minh',
  'Atlantic/Faeroe': 'Atlantic/Faroe',
  'Europe/Kiev': 'Europe/Kyiv',
  'Pacific/Enderbury': 'Pacific/Kanton',
  'Pacific/Ponape': 'Pacific/Pohnpei',
  'Pacific/Truk': 'Pacific/Chuuk',
};

/** The zone's current IANA name, where this browser knows that name too (an old one may not). */
export function currentZoneName(zone: string): string {
  const renamed = RENAMED[zone];
  return renamed && IANAZone.isValidZone(renamed) ? renamed : zone;
}

/** Every zone this browser knows, under its current name, and UTC: sorted, each once. */
export function knownZones(): string[] {
  const zones = new Set(Intl.supportedValuesOf('timeZone').map(currentZoneName));
  zones.add('UTC');
  return [...zones].sort();
}
