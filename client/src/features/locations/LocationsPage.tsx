import { useState } from 'react';
import { DateTime } from 'luxon';
import { describeError, isApiError } from '../../api/errors.js';
import { useDeleteLocation, useLocations } from '../../api/locations.js';
import type { Location } from '../../api/types.js';
import { PageHeader } from '../../app/PageHeader.js';
import { Dialog } from '../../ui/Dialog.js';
import { useNotify } from '../../ui/notices.js';
import { EmptyState, FormError, LoadError, Spinner } from '../../ui/status.js';
import { LocationDialog } from './LocationDialog.js';
import { BusyButton } from '../../ui/BusyButton.js';

type Editing = { kind: 'edit'; location: Location | null } | { kind: 'delete'; location: Location } | null;

export function LocationsPage() {
  const locations = useLocations();
  const [editing, setEditing] = useState<Editing>(null);

  return (
    <>
      <PageHeader
        title="Locations"
        subtitle="Each location plans its weeks on its own clock."
        actions={
          <button type="button" className="button" onClick={() => setEditing({ kind: 'edit', location: null })}>
            Add location
          </button>
        }
      />
      {locations.isPending ? (
        <Spinner label="Loading locations" />
      ) : locations.isError ? (
        <LoadError error={locations.error} what="locations" onRetry={() => void locations.refetch()} />
      ) : locations.data.length === 0 ? (
        <EmptyState title="No locations yet">
          <p>Add your first venue to start planning its weeks.</p>
        </EmptyState>
      ) : (
        <ul className="location-list">
          {[...locations.data]
            .sort((a, b) => a.name.localeCompare(b.name))
            .map((l) => (
              <li key={l.id} className="card location-card">
                <div>
                  <h2 className="location-name">{l.name}</h2>
                  {l.address && <p className="muted">{l.address}</p>}
                  <p className="location-zone">
                    {l.timezone.replace(/_/g, ' ')} · now {DateTime.now().setZone(l.timezone).toLocaleString(DateTime.TIME_SIMPLE)}
                  </p>
                </div>
                <div className="button-row">
                  <button type="button" className="button button-secondary button-small" onClick={() => setEditing({ kind: 'edit', location: l })} aria-label={`Edit ${l.name}`}>
                    Edit
                  </button>
                  <button type="button" className="button button-danger-ghost button-small" onClick={() => setEditing({ kind: 'delete', location: l })} aria-label={`Delete ${l.name}`}>
                    Delete
                  </button>
                </div>
              </li>
            ))}
        </ul>
      )}
      {editing?.kind === 'edit' && <LocationDialog location={editing.location} onClose={() => setEditing(null)} />}
      {editing?.kind === 'delete' && <DeleteLocation location={editing.location} onClose={() => setEditing(null)} />}
    </>
  );
}

function DeleteLocation({ location, onClose }: { location: Location; onClose: () => void }) {
  const remove = useDeleteLocation();
  const notify = useNotify();
  const error = remove.isError
    ? isApiError(remove.error) && remove.error.status === 409
      ? `${location.name} still has schedules, so it cannot be deleted. Delete its draft weeks first; a location with published weeks stays for the record.`
      : describeError(remove.error)
    : null;
  return (
    <Dialog title={`Delete ${location.name}?`} size="small" onClose={onClose}>
      <p>The location and its crew memberships are removed. People keep their accounts.</p>
      <FormError>{error}</FormError>
      <div className="dialog-actions">
        <span className="spacer" />
        <button type="button" className="button button-ghost" onClick={onClose} data-autofocus>
          Cancel
        </button>
        <BusyButton
          className="button button-danger"
          busy={remove.isPending}
          onClick={() =>
            remove.mutate(location.id, {
              onSuccess: () => {
                notify(`Deleted ${location.name}`);
                onClose();
              },
            })
          }
        >
          Delete
        </BusyButton>
      </div>
    </Dialog>
  );
}
