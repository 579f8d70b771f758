import type { Location } from '../../api/types.js';
import { Field } from '../../ui/Field.js';

export function LocationSelect({ locations, value, onChange }: { locations: Location[]; value: number; onChange: (id: number) => void }) {
  return (
    <Field label="Location" className="field-inline">
      <select value={value} onChange={(e) => onChange(Number(e.target.value))}>
        {locations.map((l) => (
          <option key={l.id} value={l.id}>
            {l.name}
          </option>
        ))}
      </select>
    </Field>
  );
}
