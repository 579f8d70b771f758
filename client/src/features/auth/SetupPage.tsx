import { useState, type FormEvent } from 'react';
import { SetupBody } from '../../../../shared/schemas/accounts.js';
import { useSetup, useSetupStatus } from '../../api/accounts.js';
import { describeError, isApiError } from '../../api/errors.js';
import { Link, navigate, useLocation } from '../../app/router.js';
import { byPath, check, sentence } from '../../lib/validation.js';
import { BusyButton } from '../../ui/BusyButton.js';
import { Field } from '../../ui/Field.js';
import { FormError, LoadError, Spinner } from '../../ui/status.js';
import { newPasswordErrors, PasswordFields, type NewPassword } from './PasswordFields.js';
import { PublicCard } from './PublicCard.js';

const WHERE_THE_LINK_IS = 'The server writes the link to its log each time it starts while it has no accounts: look for the line "No account exists yet: open http://…/setup?token=…".';

/** First run: the setup link from the server's log creates the first admin. */
export function SetupPage() {
  const { params } = useLocation();
  const token = params.get('token') ?? '';
  const status = useSetupStatus();

  if (status.isPending) return <Spinner label="Checking this server" />;
  if (status.isError) {
    return (
      <PublicCard title="Set up Crew Plots">
        <LoadError error={status.error} what="whether this server is set up" onRetry={() => void status.refetch()} />
      </PublicCard>
    );
  }
  if (!status.data.needed) {
    return (
      <PublicCard title="Already set up" lede="This server has its first admin already.">
        <Link href="/login" className="button button-block">
          Go to log in
        </Link>
      </PublicCard>
    );
  }
  if (!token) {
    return (
      <PublicCard title="Set up Crew Plots" lede="Open this page through the setup link from the server's log.">
        <div className="alert alert-info" role="status">
          {WHERE_THE_LINK_IS}
        </div>
      </PublicCard>
    );
  }
  return <SetupForm token={token} demoDataAllowed={status.data.demoDataAllowed} />;
}

function SetupForm({ token, demoDataAllowed }: { token: string; demoDataAllowed: boolean }) {
  const setup = useSetup();
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState<NewPassword>({ password: '', repeat: '' });
  const [demoData, setDemoData] = useState(demoDataAllowed);
  const [errors, setErrors] = useState<Record<string, string | undefined>>({});
  const [formError, setFormError] = useState<string | null>(null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    setFormError(null);
    const body = { token, name: name.trim(), email: email.trim(), password: password.password, demoData: demoDataAllowed && demoData };
    const found: Record<string, string | undefined> = { ...byPath(check(SetupBody, body).map((e) => ({ ...e, message: sentence(e.message)! }))), ...newPasswordErrors(password) };
    delete found.token;
    setErrors(found);
    if (Object.values(found).some(Boolean)) return;
    setup.mutate(body, {
      onSuccess: () => navigate('/planner', { replace: true }),
      onError: (err) => {
        if (isApiError(err, 'forbidden')) setFormError(`This setup link does not work. ${WHERE_THE_LINK_IS}`);
        else if (isApiError(err, 'setup_done')) setFormError('Someone has just set up this server. Log in instead.');
        else if (isApiError(err, 'validation_failed') || isApiError(err, 'unprocessable')) {
          setErrors(byPath(err.errors.map((e) => ({ ...e, message: sentence(e.message)! }))));
          if (!err.errors.length) setFormError(err.message);
        } else setFormError(describeError(err));
      },
    });
  };

  return (
    <PublicCard title="Set up Crew Plots" lede="Create the first admin account. You can add locations and invite your crew once you are in.">
      <form onSubmit={submit} noValidate>
        <FormError>{formError}</FormError>
        <Field label="Your name" error={errors.name}>
          <input type="text" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} maxLength={120} autoFocus />
        </Field>
        <Field label="Email" error={errors.email} hint="You log in with it.">
          <input type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <PasswordFields
          value={password}
          errors={errors}
          label="Password"
          onChange={(v) => {
            setPassword(v);
            setErrors((e) => ({ ...e, password: undefined, repeat: undefined }));
          }}
        />
        {demoDataAllowed && (
          <label className="check">
            <input type="checkbox" checked={demoData} onChange={(e) => setDemoData(e.target.checked)} />
            <span>
              Load demo data to look around
              <span className="field-hint">Three venues with managers, 30 crew, this week published and next week as a draft.</span>
            </span>
          </label>
        )}
        <BusyButton type="submit" className="button button-block" busy={setup.isPending} busyLabel="Creating your account…">
          Create admin account
        </BusyButton>
      </form>
    </PublicCard>
  );
}
