import { useState, type FormEvent } from 'react';
import { useAcceptAccessLink, useAccessLink } from '../../api/accounts.js';
import { describeError, isApiError } from '../../api/errors.js';
import { Link, navigate, useLocation } from '../../app/router.js';
import { homeFor } from '../../app/routes.js';
import { byPath, sentence } from '../../lib/validation.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Field } from '../../ui/Field.js';
import { FormError, LoadError, Spinner } from '../../ui/status.js';
import { newPasswordErrors, PasswordFields, type NewPassword } from './PasswordFields.js';
import { PublicCard } from './PublicCard.js';

const ASK_AGAIN = 'Ask your manager or an admin for a new link.';

function DeadLink({ used }: { used: boolean }) {
  return (
    <PublicCard title={used ? 'This link has been used up' : 'This link does not work'}>
      <div className="alert alert-warning" role="status">
        <p>
          {used
            ? 'It was already used, replaced by a newer link, or it has expired (links last 7 days).'
            : 'Check that you opened the whole link from your message.'}{' '}
          {ASK_AGAIN}
        </p>
      </div>
      <Link href="/login" className="button button-secondary button-block">
        Go to log in
      </Link>
    </PublicCard>
  );
}

/** An invite or password-reset link: the person chooses a password and lands signed in. */
export function WelcomePage() {
  const { params } = useLocation();
  const token = params.get('token') ?? '';
  const link = useAccessLink(token);
  const accept = useAcceptAccessLink(token);
  const [password, setPassword] = useState<NewPassword>({ password: '', repeat: '' });
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [formError, setFormError] = useState<string | null>(null);

  if (!token || isApiError(link.error, 'not_found')) return <DeadLink used={false} />;
  if (isApiError(link.error, 'gone') || isApiError(accept.error, 'gone')) return <DeadLink used />;
  if (link.isPending) return <Spinner label="Opening your link" />;
  if (link.isError) {
    return (
      <PublicCard title="Welcome">
        <LoadError error={link.error} what="your link" onRetry={() => void link.refetch()} />
      </PublicCard>
    );
  }

  const { name, email, kind } = link.data;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const found = newPasswordErrors(password);
    setErrors(found);
    if (found.password || found.repeat) return;
    accept.mutate(password.password, {
      onSuccess: ({ user }) => navigate(homeFor(user), { replace: true }),
      onError: (err) => {
        if (isApiError(err, 'validation_failed') && err.errors.length) setErrors(byPath(err.errors.map((e) => ({ ...e, message: sentence(e.message)! }))));
        else if (!isApiError(err, 'gone')) setFormError(describeError(err));
      },
    });
  };

  return (
    <PublicCard
      title={kind === 'invite' ? `Welcome, ${name}` : 'Choose a new password'}
      lede={kind === 'invite' ? 'Choose a password for your Crew Plots account. You will see your shifts right after.' : `For ${name}'s account. Your other sessions end when you save it.`}
    >
      <form onSubmit={submit} noValidate>
        <FormError>{formError}</FormError>
        <Field label="Email" hint="You log in with it.">
          <input type="email" autoComplete="username" value={email} readOnly />
        </Field>
        <PasswordFields
          value={password}
          errors={errors}
          onChange={(v) => {
            setPassword(v);
            setErrors({});
          }}
        />
        <BusyButton type="submit" className="button button-block" busy={accept.isPending} busyLabel="Saving…">
          {kind === 'invite' ? 'Set password and continue' : 'Save password and log in'}
        </BusyButton>
      </form>
    </PublicCard>
  );
}
