import { Link } from './router.js';
import { PageHeader } from './PageHeader.js';

export function NotFoundPage({ home }: { home: string }) {
  return (
    <>
      <PageHeader title="Page not found" />
      <div className="card">
        <p>There is nothing at this address, or it is not part of your account.</p>
        <Link className="button" href={home}>
          Go to your start page
        </Link>
      </div>
    </>
  );
}
