import type { Location, User } from '../../api/types.js';
import { Badge } from '../../ui/status.js';
import { runsAccountOf } from './userForm.js';

interface Props {
  people: User[];
  me: User;
  locations: Location[];
  onEdit: (user: User) => void;
  onToggleActive: (user: User) => void;
  /** Makes a new invite or reset link for the person. */
  onAccessLink: (user: User) => void;
  /** The person a link is being made for, if any. */
  linking: number | null;
}

const ROLE = { admin: 'Admin', manager: 'Manager', crew: 'Crew' } as const;

/** A table on wide screens; each row folds into a card on a phone (see .people-table in CSS). */
export function PeopleTable({ people, me, locations, onEdit, onToggleActive, onAccessLink, linking }: Props) {
  const nameOf = (id: number) => locations.find((l) => l.id === id)?.name ?? 'Another location';
  const mayEdit = (user: User) => me.role === 'admin' || user.role === 'crew';

  return (
    <table className="people-table">
      <caption className="sr-only">People</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Role</th>
          <th scope="col">Works at</th>
          <th scope="col">Status</th>
          <th scope="col">
            <span className="sr-only">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {people.map((user) => (
          <tr key={user.id} className={user.active ? undefined : 'is-inactive'}>
            <th scope="row">
              <span className="person-name">{user.name}</span>
              <span className="person-detail">{user.email}</span>
              {user.phone && <span className="person-detail">{user.phone}</span>}
            </th>
            <td data-label="Role">
              <Badge tone="role">{ROLE[user.role]}</Badge>
            </td>
            <td data-label="Works at">
              {user.memberships.length === 0 ? (
                <span className="muted">No location</span>
              ) : (
                <ul className="plain-list">
                  {user.memberships.map((m) => (
                    <li key={m.locationId}>
                      {nameOf(m.locationId)}
                      {m.position && <span className="muted"> · {m.position}</span>}
                    </li>
                  ))}
                </ul>
              )}
            </td>
            <td data-label="Status">
              {!user.active ? <Badge tone="inactive">Deactivated</Badge> : user.invitePending ? <Badge tone="draft">Invited, not joined yet</Badge> : 'Active'}
            </td>
            <td className="row-actions">
              {mayEdit(user) && (
                <>
                  <button type="button" className="button button-secondary button-small" onClick={() => onEdit(user)} aria-label={`Edit ${user.name}`}>
                    Edit
                  </button>
                  {user.active && user.id !== me.id && runsAccountOf(me, user) && (
                    <button
                      type="button"
                      className="button button-ghost button-small"
                      onClick={() => onAccessLink(user)}
                      disabled={linking === user.id}
                      aria-label={`${user.invitePending ? 'Copy invite link' : 'Copy reset link'} for ${user.name}`}
                    >
                      {user.invitePending ? 'Copy invite link' : 'Copy reset link'}
                    </button>
                  )}
                  {user.id !== me.id && runsAccountOf(me, user) && (
                    <button
                      type="button"
                      className={`button button-small ${user.active ? 'button-danger-ghost' : 'button-ghost'}`}
                      onClick={() => onToggleActive(user)}
                      aria-label={`${user.active ? 'Deactivate' : 'Reactivate'} ${user.name}`}
                    >
                      {user.active ? 'Deactivate' : 'Reactivate'}
                    </button>
                  )}
                </>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
