import { Counter, type Registry } from 'prom-client';

const PASSWORD_CHECKS = 'crewplots_password_checks_total';

/**
 * argon2 verifications, the CPU an anonymous caller can make the server spend: a refused login
 * must not add to it. Registered once per registry (the route table may be built twice over one
 * runtime, as the OpenAPI test does).
 */
export function createAuthMetrics(registry: Registry) {
  const existing = registry.getSingleMetric(PASSWORD_CHECKS) as Counter<'purpose'> | undefined;
  const passwordChecks =
    existing ??
    new Counter({
      name: PASSWORD_CHECKS,
      help: 'Password hash verifications by purpose (login, password_change)',
      labelNames: ['purpose'] as const,
      registers: [registry],
    });
  return { passwordChecks };
}

export type AuthMetrics = ReturnType<typeof createAuthMetrics>;
