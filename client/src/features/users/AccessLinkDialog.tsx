import { useEffect, useState } from 'react';
import type { User } from '../../api/types.js';
import { Dialog } from '../../ui/Dialog.js';

/** Puts text on the clipboard; false where the browser refuses (no permission, plain http). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * A one-time link just made for someone, to pass on to them: copied to the clipboard where the
 * browser allows it, and shown to copy by hand where not. It is shown only now: the server keeps
 * no readable copy of it.
 */
export function AccessLinkDialog({ user, url, kind, onClose }: { user: User; url: string; kind: 'invite' | 'reset'; onClose: () => void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  useEffect(() => {
    void copyText(url).then(setCopied);
  }, [url]);

  return (
    <Dialog
      title={kind === 'invite' ? `Invite link for ${user.name}` : `Password reset link for ${user.name}`}
      description={
        kind === 'invite'
          ? 'Send it to them: they choose their own password there. It works once, for 7 days; a new link replaces it.'
          : 'Send it to them: they choose a new password there, and their other sessions end. It works once, for 7 days.'
      }
      onClose={onClose}
      size="small"
    >
      <div className="form">
        <div className="link-copy">
          <label className="sr-only" htmlFor="access-link-url">
            Link
          </label>
          <input id="access-link-url" type="text" readOnly value={url} onFocus={(e) => e.currentTarget.select()} data-autofocus />
          <button type="button" className="button button-secondary" onClick={() => void copyText(url).then(setCopied)}>
            Copy
          </button>
        </div>
        <p role="status" className="field-hint">
          {copied === true ? 'Copied to the clipboard.' : copied === false ? 'Select the link and copy it yourself: this browser does not allow copying from here.' : ''}
        </p>
        <div className="dialog-actions">
          <span className="spacer" />
          <button type="button" className="button" onClick={onClose}>
            Done
          </button>
        </div>
      </div>
    </Dialog>
  );
}
