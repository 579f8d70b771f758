import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { isApiError } from './api/errors.js';
import { App } from './app/App.js';
import { ErrorBoundary } from './ui/ErrorBoundary.js';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // Every screen revalidates what it shows when it opens, so a revoked session is noticed on
      // the next step a person takes, not some seconds later.
      staleTime: 0,
      // Retrying cannot turn a refusal into an answer; only outages and dropped connections.
      retry: (count, err) => count < 2 && isApiError(err) && (err.code === 'network' || err.code === 'service_unavailable'),
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ErrorBoundary what="Crew Plots" alone>
        <App />
      </ErrorBoundary>
    </QueryClientProvider>
  </StrictMode>,
);
