import { useId } from 'react';
import type { Location } from '../../api/types.js';

interface Props {
  locations: Location[];
  places: Map<number, string>;
  errors: Record<string, string>;
  onChange: (places: Map<number, string>) => void;
}

/** Where someone works, and as what: a tick per location and the position there. */
export function MembershipFields({ locations, places, errors, onChange }: Props) {
  const errorId = useId();
  const toggle = (id: number, on: boolean) => {
    const next = new Map(places);
    if (on) next.set(id, '');
    else next.delete(id);
    onChange(next);
  };
  const setPosition = (id: number, position: string) => onChange(new Map(places).set(id, position));

  return (
    <fieldset className={`fieldset${errors.places ? ' field-invalid' : ''}`} aria-describedby={errors.places ? errorId : undefined}>
      <legend>Locations and positions</legend>
      {locations.length === 0 && <p className="muted">There are no locations yet.</p>}
      <ul className="membership-list">
        {locations.map((l) => (
          <MembershipRow
            key={l.id}
            location={l}
            position={places.get(l.id)}
            error={errors[`place-${l.id}`]}
            onToggle={(on) => toggle(l.id, on)}
            onPosition={(p) => setPosition(l.id, p)}
          />
        ))}
      </ul>
      {errors.places && (
        <p id={errorId} className="field-error">
          {errors.places}
        </p>
      )}
    </fieldset>
  );
}

interface RowProps {
  location: Location;
  /** undefined: not a member there. */
  position: string | undefined;
  error: string | undefined;
  onToggle: (on: boolean) => void;
  onPosition: (position: string) => void;
}

function MembershipRow({ location, position, error, onToggle, onPosition }: RowProps) {
  const errorId = useId();
  const on = position !== undefined;
  return (
    <li className="membership">
      <label className="check">
        <input type="checkbox" checked={on} onChange={(e) => onToggle(e.target.checked)} />
        <span>{location.name}</span>
      </label>
      {on && (
        <input
          type="text"
          className="membership-position"
          value={position}
          onChange={(e) => onPosition(e.target.value)}
          placeholder="Position, e.g. Bartender"
          aria-label={`Position at ${location.name}`}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          maxLength={80}
        />
      )}
      {error && (
        <p id={errorId} className="field-error">
          {error}
        </p>
      )}
    </li>
  );
}
