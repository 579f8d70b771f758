import { useState } from 'react';
import { useLocations } from '../../api/locations.js';
import type { User } from '../../api/types.js';
import { useUserList, type UserFilter } from '../../api/users.js';
import { PageHeader } from '../../app/PageHeader.js';
import { useDebounced } from '../../lib/useDebounced.js';
import { Field } from '../../ui/Field.js';
import { EmptyState, LoadError, Spinner } from '../../ui/status.js';
import { DeactivateDialog } from './DeactivateDialog.js';
import { AccessLinkDialog } from './AccessLinkDialog.js';
import { useIssueAccessLink } from '../../api/accounts.js';
import { describeError } from '../../api/errors.js';
import { useNotify } from '../../ui/notices.js';
import { PeopleTable } from './PeopleTable.js';
import { UserDialog } from './UserDialog.js';

type Editing = { kind: 'edit'; user: User | null } | { kind: 'active'; user: User } | { kind: 'link'; user: User; url: string; linkKind: 'invite' | 'reset' } | null;

/** Admins manage everyone; managers the crew of their locations. */
export function PeoplePage({ me }: { me: User }) {
  const locations = useLocations();
  const [search, setSearch] = useState('');
  const [role, setRole] = useState('');
  const [status, setStatus] = useState('true');
  const [locationId, setLocationId] = useState('');
  const q = useDebounced(search.trim());
  const filter: UserFilter = { q: q || undefined, role: role || undefined, active: status || undefined, locationId: locationId ? Number(locationId) : undefined };
  const list = useUserList(filter);
  const [editing, setEditing] = useState<Editing>(null);
  const issueLink = useIssueAccessLink();
  const notify = useNotify();
  const makeLink = (user: User) =>
    issueLink.mutate(user, {
      onSuccess: ({ url }) => setEditing({ kind: 'link', user, url, linkKind: user.invitePending ? 'invite' : 'reset' }),
      onError: (err) => notify(`No link for ${user.name}: ${describeError(err)}`, 'error'),
    });

  const people = list.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <>
      <PageHeader
        title="People"
        subtitle={me.role === 'admin' ? 'Everyone with an account' : 'The crew of your locations'}
        actions={
          <button type="button" className="button" onClick={() => setEditing({ kind: 'edit', user: null })} disabled={!locations.data}>
            Add person
          </button>
        }
      />
      {/* People can be listed without them, but not added: say why "Add person" stays off. */}
      {locations.isError && <LoadError error={locations.error} what="the locations" onRetry={() => void locations.refetch()} />}
      <form className="filters" role="search" aria-label="Filter people" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search" className="field-inline field-grow">
          <input type="search" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="Name or email" />
        </Field>
        <Field label="Role" className="field-inline">
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            <option value="">All roles</option>
            <option value="crew">Crew</option>
            <option value="manager">Managers</option>
            <option value="admin">Admins</option>
          </select>
        </Field>
        <Field label="Location" className="field-inline">
          <select value={locationId} onChange={(e) => setLocationId(e.target.value)}>
            <option value="">All locations</option>
            {locations.data?.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Status" className="field-inline">
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="true">Active</option>
            <option value="false">Deactivated</option>
            <option value="">Everyone</option>
          </select>
        </Field>
      </form>

      {list.isPending ? (
        <Spinner label="Loading people" />
      ) : list.isError ? (
        <LoadError error={list.error} what="people" onRetry={() => void list.refetch()} />
      ) : people.length === 0 ? (
        <EmptyState title="Nobody matches">
          <p>Try another search or filter.</p>
        </EmptyState>
      ) : (
        <>
          <PeopleTable
            people={people}
            me={me}
            locations={locations.data ?? []}
            onEdit={(user) => setEditing({ kind: 'edit', user })}
            onToggleActive={(user) => setEditing({ kind: 'active', user })}
            onAccessLink={makeLink}
            linking={issueLink.isPending ? (issueLink.variables?.id ?? null) : null}
          />
          {list.hasNextPage && (
            <button type="button" className="button button-secondary load-more" onClick={() => void list.fetchNextPage()} disabled={list.isFetchingNextPage}>
              {list.isFetchingNextPage ? 'Loading…' : 'Show more'}
            </button>
          )}
        </>
      )}

      {editing?.kind === 'edit' && locations.data && (
        <UserDialog
          user={editing.user}
          me={me}
          locations={locations.data}
          onClose={() => setEditing(null)}
          onInvited={(user, url) => setEditing({ kind: 'link', user, url, linkKind: 'invite' })}
        />
      )}
      {editing?.kind === 'link' && <AccessLinkDialog user={editing.user} url={editing.url} kind={editing.linkKind} onClose={() => setEditing(null)} />}
      {editing?.kind === 'active' && <DeactivateDialog user={editing.user} me={me} onClose={() => setEditing(null)} />}
    </>
  );
}
