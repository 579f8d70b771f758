import type { PresentEditor } from '../../api/types.js';

/** "Femke is…", "Femke and Jan are…", "Femke, Jan and 2 others are also editing this week". */
export function describeEditors(names: readonly string[]): string | null {
  const [first, second] = names;
  if (first === undefined) return null;
  if (second === undefined) return `${first} is also editing this week`;
  if (names.length === 2) return `${first} and ${second} are also editing this week`;
  const others = names.length - 2;
  return `${first}, ${second} and ${others} other${others === 1 ? '' : 's'} are also editing this week`;
}

/**
 * Who else has the week open in the planner: a quiet line under the week's name, nothing while
 * nobody else is there. A hint, not a lock; their changes reach this screen as they save them.
 */
export function PresenceHint({ editors }: { editors: readonly PresentEditor[] }) {
  const text = describeEditors(editors.map((e) => e.name));
  // The live region stays mounted, so the hint is announced when it appears, not only when it changes.
  return (
    <p className="presence-hint" role="status">
      {text}
    </p>
  );
}
