import { useState, type FormEvent } from 'react';
import { PatchUserBody } from '../../../../shared/schemas/users.js';
import { useChangePassword, useSaveProfile, useSignOutOthers } from '../../api/accounts.js';
import { describeError, isApiError } from '../../api/errors.js';
import type { User } from '../../api/types.js';
import { PageHeader } from '../../app/PageHeader.js';
import { byPath, check, sentence } from '../../lib/validation.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Field } from '../../ui/Field.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import { newPasswordErrors, PasswordFields, type NewPassword } from '../auth/PasswordFields.js';

const fieldErrors = (errors: Array<{ path: string; message: string }>) => byPath(errors.map((e) => ({ ...e, message: sentence(e.message)! })));

/** Everyone's own account: name and phone, password, and the sessions on other devices. */
export function AccountPage({ user }: { user: User }) {
  return (
    <>
      <PageHeader title="Your account" subtitle={user.email} />
      <div className="account-sections">
        <ProfileForm user={user} />
        <PasswordForm />
        <OtherSessions />
      </div>
    </>
  );
}

function ProfileForm({ user }: { user: User }) {
  const save = useSaveProfile();
  const notify = useNotify();
  const [name, setName] = useState(user.name);
  const [phone, setPhone] = useState(user.phone ?? '');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const body = { name: name.trim(), phone: phone.trim() || null };
    const found = fieldErrors(check(PatchUserBody, body));
    setErrors(found);
    if (Object.keys(found).length) return;
    save.mutate(
      { id: user.id, ...body },
      {
        onSuccess: () => notify('Saved your details'),
        onError: (err) => (isApiError(err, 'validation_failed') && err.errors.length ? setErrors(fieldErrors(err.errors)) : setFormError(describeError(err))),
      },
    );
  };

  return (
    <section className="card" aria-labelledby="account-profile">
      <h2 id="account-profile">Your details</h2>
      <form className="form" onSubmit={submit} noValidate>
        <FormError>{formError}</FormError>
        <Field label="Name" error={errors.name}>
          <input type="text" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={120} />
        </Field>
        <Field label="Phone" error={errors.phone} hint="Optional. Your managers see it.">
          <input type="tel" autoComplete="tel" value={phone} onChange={(e) => setPhone(e.target.value)} maxLength={40} />
        </Field>
        <div>
          <BusyButton type="submit" busy={save.isPending} busyLabel="Saving…">
            Save details
          </BusyButton>
        </div>
      </form>
    </section>
  );
}

function PasswordForm() {
  const change = useChangePassword();
  const notify = useNotify();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState<NewPassword>({ password: '', repeat: '' });
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const found = { ...newPasswordErrors(next), current: current ? undefined : 'Enter your current password.' };
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    change.mutate(
      { currentPassword: current, newPassword: next.password },
      {
        onSuccess: () => {
          setCurrent('');
          setNext({ password: '', repeat: '' });
          notify('Password changed. You are still signed in here; everywhere else you were signed out.');
        },
        onError: (err) => {
          if (isApiError(err, 'validation_failed') && err.errors.length) {
            const byField = fieldErrors(err.errors);
            setErrors({ current: byField.currentPassword, password: byField.newPassword });
          } else setFormError(describeError(err));
        },
      },
    );
  };

  return (
    <section className="card" aria-labelledby="account-password">
      <h2 id="account-password">Password</h2>
      <form className="form" onSubmit={submit} noValidate>
        <FormError>{formError}</FormError>
        <Field label="Current password" error={errors.current}>
          <input type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)} />
        </Field>
        <PasswordFields
          value={next}
          errors={errors}
          onChange={(v) => {
            setNext(v);
            setErrors((e) => ({ ...e, password: undefined, repeat: undefined }));
          }}
        />
        <div>
          <BusyButton type="submit" busy={change.isPending} busyLabel="Changing…">
            Change password
          </BusyButton>
        </div>
      </form>
    </section>
  );
}

function OtherSessions() {
  const signOut = useSignOutOthers();
  const notify = useNotify();
  return (
    <section className="card" aria-labelledby="account-sessions">
      <h2 id="account-sessions">Other devices</h2>
      <p className="muted">Signed in on a shared computer or a lost phone? End every session but this one.</p>
      <FormError>{signOut.isError ? describeError(signOut.error) : null}</FormError>
      <BusyButton
        className="button button-secondary"
        busy={signOut.isPending}
        busyLabel="Signing out…"
        onClick={() => signOut.mutate(undefined, { onSuccess: () => notify('Signed out everywhere else') })}
      >
        Sign out everywhere else
      </BusyButton>
    </section>
  );
}
