import { Component, type ReactNode } from 'react';
import { LoadError } from './status.js';

interface Props {
  /** What failed to show, for the message: "Could not load this page." */
  what: string;
  /** Nothing else is on screen (the app's root): centre the box on the page. */
  alone?: boolean;
  children: ReactNode;
}

/**
 * A screen that throws while rendering, or whose code cannot be downloaded (a dropped connection,
 * or a deploy that replaced the hashed chunks this tab still asks for), shows the usual error box
 * instead of a blank page. Reloading fetches the current build, which fixes both cases. React
 * itself logs the error to the console.
 */
export class ErrorBoundary extends Component<Props, { caught: { error: unknown } | null }> {
  override state = { caught: null as { error: unknown } | null };

  static getDerivedStateFromError(error: unknown) {
    return { caught: { error } };
  }

  override render() {
    if (!this.state.caught) return this.props.children;
    const box = <LoadError error={this.state.caught.error} what={this.props.what} retryLabel="Reload" onRetry={() => window.location.reload()} />;
    return this.props.alone ? <main className="page-center">{box}</main> : box;
  }
}
