import { PASSWORD_RULES, Password } from '../../../../shared/schemas/users.js';
import { sentence } from '../../lib/validation.js';
import { Field } from '../../ui/Field.js';

export interface NewPassword {
  password: string;
  repeat: string;
}

/** What is wrong with a new password and its repetition, by field, before anything is sent. */
export function newPasswordErrors({ password, repeat }: NewPassword): { password?: string; repeat?: string } {
  const parsed = Password.safeParse(password);
  if (!parsed.success) return { password: sentence(parsed.error.issues[0]?.message) };
  if (password !== repeat) return { repeat: 'The two passwords are not the same.' };
  return {};
}

/** A new password, typed twice, with the rules shown before anyone submits. */
export function PasswordFields({
  value,
  errors,
  onChange,
  label = 'New password',
}: {
  value: NewPassword;
  errors: { password?: string; repeat?: string };
  onChange: (value: NewPassword) => void;
  label?: string;
}) {
  return (
    <>
      <Field label={label} hint={PASSWORD_RULES} error={errors.password}>
        <input type="password" autoComplete="new-password" value={value.password} onChange={(e) => onChange({ ...value, password: e.target.value })} />
      </Field>
      <Field label="Type it again" error={errors.repeat}>
        <input type="password" autoComplete="new-password" value={value.repeat} onChange={(e) => onChange({ ...value, repeat: e.target.value })} />
      </Field>
    </>
  );
}
