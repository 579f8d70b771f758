import { useMemo } from 'react';
import { zoneAbbreviation } from '../../lib/time.js';
import { knownZones } from '../../lib/zones.js';

/** The zones this browser knows, grouped by region ("Europe", "America", ...). */
function zoneGroups(current: string): [string, string[]][] {
  const zones = new Set(knownZones());
  // A stored zone under a name the list does not use (Asia/Calcutta) stays selectable as it is.
  if (current) zones.add(current);
  const groups = new Map<string, string[]>();
  for (const zone of zones) {
    const region = zone.includes('/') ? zone.slice(0, zone.indexOf('/')) : 'Other';
    groups.set(region, [...(groups.get(region) ?? []), zone]);
  }
  return [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([region, list]) => [region, list.sort()]);
}

/** "Europe / Amsterdam (GMT+1)": the closed select shows no group, so the region stays in the name. */
function label(zone: string): string {
  const name = zone.replace(/_/g, ' ').replace(/\//g, ' / ');
  const abbreviation = zoneAbbreviation(zone);
  return abbreviation === name ? name : `${name} (${abbreviation})`;
}

export function TimeZoneSelect({ value, onChange, ...aria }: { value: string; onChange: (zone: string) => void; id?: string; 'aria-describedby'?: string; 'aria-invalid'?: boolean }) {
  const groups = useMemo(() => zoneGroups(value), [value]);
  return (
    <select value={value} onChange={(e) => onChange(e.target.value)} {...aria}>
      {groups.map(([region, zones]) => (
        <optgroup key={region} label={region}>
          {zones.map((zone) => (
            <option key={zone} value={zone}>
              {label(zone)}
            </option>
          ))}
        </optgroup>
      ))}
    </select>
  );
}
