/** A request's note from its requester, and what went wrong with the last answer to it. */
export function RequestNote({ note, problem }: { note: string | null; problem: string | null }) {
  return (
    <>
      {note && <p className="request-note">“{note}”</p>}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
    </>
  );
}
