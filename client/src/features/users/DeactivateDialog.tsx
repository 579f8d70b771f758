import { describeError } from '../../api/errors.js';
import type { User } from '../../api/types.js';
import { useSetUserActive } from '../../api/users.js';
import { Dialog } from '../../ui/Dialog.js';
import { useNotify } from '../../ui/notices.js';
import { FormError } from '../../ui/status.js';
import { BusyButton } from '../../ui/BusyButton.js';

export function DeactivateDialog({ user, me, onClose }: { user: User; me: User; onClose: () => void }) {
  const notify = useNotify();
  const change = useSetUserActive();
  const deactivate = user.active;

  const confirm = () =>
    change.mutate(
      { user, active: !deactivate, asAdmin: me.role === 'admin' },
      {
        onSuccess: () => {
          notify(deactivate ? `${user.name} is deactivated and signed out` : `${user.name} can log in again`);
          onClose();
        },
      },
    );

  return (
    <Dialog title={deactivate ? `Deactivate ${user.name}?` : `Reactivate ${user.name}?`} size="small" onClose={onClose}>
      {deactivate ? (
        <p>They are signed out on every device at once and can no longer log in. Their past shifts stay on record.</p>
      ) : (
        <p>They can log in again with their existing password.</p>
      )}
      <FormError>{change.isError ? describeError(change.error) : null}</FormError>
      <div className="dialog-actions">
        <span className="spacer" />
        <button type="button" className="button button-ghost" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <BusyButton className={deactivate ? 'button button-danger' : 'button'} onClick={confirm} busy={change.isPending}>
          {deactivate ? 'Deactivate' : 'Reactivate'}
        </BusyButton>
      </div>
    </Dialog>
  );
}
