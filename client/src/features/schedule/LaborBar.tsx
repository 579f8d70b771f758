import type { Labor } from '../../api/types.js';
import { formatHours } from '../../lib/time.js';

/** An amount as the API gives it ("1234.50") in the deployment's currency. */
export function formatMoney(amount: string, currency: string): string {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(Number(amount));
}

/** The week's hours, cost and overtime (GET /api/schedules/:id/labor), in the week's bar; per day, the grid's last row. */
export function LaborBar({ labor }: { labor: Labor | undefined }) {
  if (!labor) return null;
  const overtime = labor.byUser.reduce((sum, u) => sum + u.overtimeHours, 0);
  const overworked = labor.byUser.filter((u) => u.overtimeHours > 0).length;
  return (
    <span className="labor-bar" role="group" aria-label="Labor this week">
      <span>
        <span className="labor-label">Hours</span> <strong>{formatHours(labor.hours)}</strong>
      </span>
      <span>
        <span className="labor-label">Cost</span> <strong>{formatMoney(labor.cost, labor.currency)}</strong>
      </span>
      <span className={overtime > 0 ? 'labor-overtime' : undefined}>
        <span className="labor-label">Overtime</span> <strong>{formatHours(overtime)}</strong>
        {overworked > 0 && ` (${overworked} ${overworked === 1 ? 'person' : 'people'}, across locations)`}
      </span>
    </span>
  );
}
