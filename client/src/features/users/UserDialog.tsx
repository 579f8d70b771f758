import { useRef, useState, type FormEvent } from 'react';
import { CreateUserBody, PatchUserBody, type FieldError } from '../../../../shared/index.js';
import { describeError, isApiError } from '../../api/errors.js';
import type { Location, User } from '../../api/types.js';
import { useSaveUser } from '../../api/users.js';
import { byPath, check, sentence } from '../../lib/validation.js';
import { Dialog } from '../../ui/Dialog.js';
import { Field } from '../../ui/Field.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import { MembershipFields } from './MembershipFields.js';
import { createBody, fieldFor, patchBody, runsAccountOf, valuesFromUser, type UserFormValues } from './userForm.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { useFocusFirstInvalid } from '../../ui/focusFirstInvalid.js';

interface Props {
  /** null: a new person. */
  user: User | null;
  me: User;
  locations: Location[];
  onClose: () => void;
  /** A new person was invited (no password given): their one-time link, to pass on. */
  onInvited: (user: User, inviteUrl: string) => void;
}

export function UserDialog({ user, me, locations, onClose, onInvited }: Props) {
  const asAdmin = me.role === 'admin';
  // A person who also works where `me` does not manage: only their places here are `me`'s to change.
  const placesOnly = user !== null && !runsAccountOf(me, user);
  const [values, setValues] = useState<UserFormValues>(() => valuesFromUser(user, locations));
  const formRef = useRef<HTMLFormElement>(null);
  const focusFirstInvalid = useFocusFirstInvalid(formRef);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const save = useSaveUser();
  const notify = useNotify();

  const set = <K extends keyof UserFormValues>(key: K, value: UserFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    setErrors((e) => ({ ...e, [key]: '' }));
  };

  const place = (list: FieldError[]) => {
    const mapped = list.map((e) => ({ path: fieldFor(e, values), message: sentence(e.message)! }));
    const known = ['name', 'email', 'role', 'phone', 'password', 'places', ...locations.map((l) => `place-${l.id}`)];
    setErrors(byPath(mapped.filter((e) => known.includes(e.path))));
    const rest = mapped.filter((e) => !known.includes(e.path)).map((e) => e.message);
    setFormError(rest.length ? rest.join(' ') : null);
    focusFirstInvalid();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const body = user ? patchBody(values, user, locations, asAdmin) : createBody(values);
    if (user && Object.keys(body).length === 0) return onClose();
    const problems = check(user ? PatchUserBody : CreateUserBody, body);
    if (problems.length) return place(problems);

    save.mutate(
      { id: user?.id ?? null, body },
      {
        onSuccess: (saved) => {
          notify(user ? `Saved ${saved.name}` : `Added ${saved.name}`);
          if ('inviteUrl' in saved && typeof saved.inviteUrl === 'string') onInvited(saved, saved.inviteUrl);
          else onClose();
        },
        onError: (err) => {
          if (isApiError(err, 'email_taken')) {
            setErrors({ email: 'Someone already has an account with this email.' });
            focusFirstInvalid();
          } else if (isApiError(err, 'validation_failed') && err.errors.length) {
            place(err.errors);
          } else {
            setFormError(describeError(err));
          }
        },
      },
    );
  };

  const roles = asAdmin ? (['crew', 'manager', 'admin'] as const) : (['crew'] as const);

  return (
    <Dialog title={user ? `Edit ${user.name}` : 'Add a person'} onClose={onClose}>
      <form ref={formRef} onSubmit={submit} noValidate className="form">
        <FormError>{formError}</FormError>
        <Field label="Name" error={errors.name} hint={placesOnly ? 'They also work at a location you do not manage: an admin changes their name and phone.' : undefined}>
          <input type="text" value={values.name} onChange={(e) => set('name', e.target.value)} autoComplete="off" maxLength={120} disabled={placesOnly} />
        </Field>
        <Field label="Email" error={errors.email} hint={user && !asAdmin ? 'Only an admin can change an email address.' : undefined}>
          <input type="email" value={values.email} onChange={(e) => set('email', e.target.value)} autoComplete="off" disabled={Boolean(user) && !asAdmin} />
        </Field>
        <div className="field-pair">
          <Field label="Role" error={errors.role}>
            <select value={values.role} onChange={(e) => set('role', e.target.value as UserFormValues['role'])} disabled={roles.length === 1}>
              {roles.map((r) => (
                <option key={r} value={r}>
                  {r === 'crew' ? 'Crew' : r === 'manager' ? 'Manager' : 'Admin'}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Phone" error={errors.phone} hint="Optional">
            <input type="tel" value={values.phone} onChange={(e) => set('phone', e.target.value)} autoComplete="off" maxLength={40} disabled={placesOnly} />
          </Field>
        </div>
        {(!user || asAdmin) && (
          <Field
            label={user ? 'New password' : 'Password'}
            error={errors.password}
            hint={
              user
                ? 'Leave empty to keep the current password. Setting one logs them out everywhere.'
                : 'Leave empty to invite them: you get a link to send them, where they choose their own. Or set one of at least 12 characters and share it privately.'
            }
          >
            <input type="password" value={values.password} onChange={(e) => set('password', e.target.value)} autoComplete="new-password" />
          </Field>
        )}
        <MembershipFields locations={locations} places={values.places} errors={errors} onChange={(places) => set('places', places)} />
        <div className="dialog-actions">
          <span className="spacer" />
          <button type="button" className="button button-ghost" onClick={onClose}>
            Cancel
          </button>
          <BusyButton type="submit" busy={save.isPending} busyLabel="Saving…">
            {user ? 'Save changes' : values.password ? 'Add person' : 'Add and get invite link'}
          </BusyButton>
        </div>
      </form>
    </Dialog>
  );
}
