import { useRef, useState, type FormEvent } from 'react';
import { DateTime } from 'luxon';
import { CreateLocationBody, PatchLocationBody, type FieldError } from '../../../../shared/index.js';
import { describeError, isApiError } from '../../api/errors.js';
import { useSaveLocation } from '../../api/locations.js';
import type { CreateLocationInput, Location, PatchLocationInput } from '../../api/types.js';
import { deviceZone } from '../../lib/time.js';
import { byPath, check, sentence } from '../../lib/validation.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import { TimeZoneSelect } from './TimeZoneSelect.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useFocusFirstInvalid } from '../../ui/focusFirstInvalid.js';

export function LocationDialog({ location, onClose }: { location: Location | null; onClose: () => void }) {
  const [name, setName] = useState(location?.name ?? '');
  const [address, setAddress] = useState(location?.address ?? '');
  const [timezone, setTimezone] = useState(location?.timezone ?? deviceZone());
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstInvalid = useFocusFirstInvalid(formRef);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const save = useSaveLocation();
  const notify = useNotify();

  const show = (list: FieldError[]) => {
    setErrors(byPath(list.map((e) => ({ path: e.path || 'form', message: sentence(e.message)! }))));
    const general = list.filter((e) => !['name', 'address', 'timezone'].includes(e.path));
    setFormError(general.length ? general.map((e) => sentence(e.message)).join(' ') : null);
    focusFirstInvalid();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    let body: CreateLocationInput | PatchLocationInput;
    if (location) {
      const patch: PatchLocationInput = {};
      if (name !== location.name) patch.name = name;
      if ((address.trim() || null) !== location.address) patch.address = address.trim() || null;
      if (timezone !== location.timezone) patch.timezone = timezone;
      if (Object.keys(patch).length === 0) return onClose();
      body = patch;
    } else {
      body = { name, address: address.trim() || null, timezone };
    }
    const problems = check(location ? PatchLocationBody : CreateLocationBody, body);
    if (problems.length) return show(problems);
    save.mutate(
      { id: location?.id ?? null, body },
      {
        onSuccess: (saved) => {
          notify(location ? `Saved ${saved.name}` : `Added ${saved.name}`);
          onClose();
        },
        onError: (err) => (isApiError(err, 'validation_failed') && err.errors.length ? show(err.errors) : setFormError(describeError(err))),
      },
    );
  };

  const localNow = DateTime.now().setZone(timezone);
  return (
    <Dialog title={location ? `Edit ${location.name}` : 'Add a location'} onClose={onClose}>
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <FormError>{formError}</FormError>
        <Field label="Name" error={errors.name}>
          <input type="text" value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoComplete="off" />
        </Field>
        <Field label="Address" error={errors.address} hint="Optional">
          <textarea value={address} onChange={(e) => setAddress(e.target.value)} rows={2} maxLength={300} />
        </Field>
        <Field
          label="Time zone"
          error={errors.timezone}
          hint={
            <>
              Local time there now: {localNow.isValid ? localNow.toLocaleString(DateTime.DATETIME_MED_WITH_WEEKDAY) : 'unknown'}.
              {location && ' Changing it moves how existing shifts read on the clock, not when they happen.'}
            </>
          }
        >
          <TimeZoneSelect value={timezone} onChange={setTimezone} />
        </Field>
        <div className="dialog-actions">
          <span className="spacer" />
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <BusyButton type="submit" busy={save.isPending} busyLabel="Saving…">
            {location ? 'Save changes' : 'Add location'}
          </BusyButton>
        </div>
      </form>
    </Dialog>
  );
}
