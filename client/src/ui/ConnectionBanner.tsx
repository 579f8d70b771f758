import { useQueryClient } from '@tanstack/react-query';
import { useConnection } from '../api/connection.js';

/**
 * Says so when the browser is offline or the server stopped answering, above everything, with a
 * way to try again (reloads what the screen shows; a failed save is sent again from its own form).
 * It goes away by itself once a request gets through: coming back online refetches the screen.
 */
export function ConnectionBanner() {
  const connection = useConnection();
  const queryClient = useQueryClient();
  if (connection === 'online') return null;
  return (
    <div className="connection-banner" role="alert">
      <p>
        {connection === 'offline' ? (
          <>
            <strong>You are offline.</strong> Nothing can be loaded or saved until the connection is back.
          </>
        ) : (
          <>
            <strong>Cannot reach Crew Plots.</strong> Check your connection.
          </>
        )}
      </p>
      <button type="button" className="button button-secondary button-small" onClick={() => void queryClient.refetchQueries({ type: 'active' })}>
        Try again
      </button>
    </div>
  );
}
