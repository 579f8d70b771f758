import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createQueryClient } from './api/queryClient.js';
import { App } from './app/App.js';
import { preloadPlace } from './app/preload.js';
import { ConnectionBanner } from './ui/ConnectionBanner.js';
import { ErrorBoundary } from './ui/ErrorBoundary.js';
import './styles.css';

const queryClient = createQueryClient();
preloadPlace();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ConnectionBanner />
      <ErrorBoundary what="Crew Plots" alone>
        <App />
      </ErrorBoundary>
    </QueryClientProvider>
  </StrictMode>,
);
