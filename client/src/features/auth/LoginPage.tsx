import { useState, type FormEvent } from 'react';
import { useLogin } from '../../api/auth.js';
import { useSetupStatus } from '../../api/accounts.js';
import { describeError, isApiError, retryPhrase } from '../../api/errors.js';
import { useLocation } from '../../app/router.js';
import { Field } from '../../ui/Field.js';
import { FormError } from '../../ui/status.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { PublicCard } from './PublicCard.js';

function loginErrorMessage(err: unknown): string {
  if (isApiError(err, 'unauthenticated')) return 'That email and password do not match an active account.';
  if (isApiError(err, 'rate_limited')) return `Too many failed attempts. For your security, try again ${retryPhrase(err.retryAfter)}.`;
  if (isApiError(err, 'validation_failed')) return 'Enter your email address and password.';
  return describeError(err);
}

export function LoginPage() {
  const { params } = useLocation();
  const login = useLogin();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [missing, setMissing] = useState(false);
  const expired = params.get('reason') === 'expired';
  const setup = useSetupStatus();

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setMissing(!email.trim() || !password);
    if (!email.trim() || !password) return;
    login.mutate({ email: email.trim(), password });
  };

  return (
    <PublicCard title="Log in" lede="Shifts and schedules for your crew.">
      {setup.data?.needed && (
        <div className="alert alert-info" role="status">
          <p className="alert-title">This server has no accounts yet</p>
          <p>
            Create the first admin through the setup link in the server's log: it writes it at every start, on the line{' '}
            <q>No account exists yet: open http://…/setup?token=…</q>
          </p>
        </div>
      )}
      {expired && !login.isError && (
        <div className="alert alert-info" role="status">
          Your session has ended. Log in again to pick up where you left off.
        </div>
      )}
      <form onSubmit={submit} noValidate>
        <FormError>{missing ? 'Enter your email address and password.' : login.isError ? loginErrorMessage(login.error) : null}</FormError>
        <Field label="Email">
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} required autoFocus />
        </Field>
        <Field label="Password">
          <input type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} required />
        </Field>
        <BusyButton type="submit" className="button button-block" busy={login.isPending}>
          Log in
        </BusyButton>
      </form>
    </PublicCard>
  );
}
