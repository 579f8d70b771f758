import { Router } from 'express';
import type { HealthService } from './health.service.js';

/**
 * Probes for load balancers and Docker. Plain JSON (not problem+json) in both states, so a probe
 * reads one shape; never cached by anything in between.
 */
export function healthRoutes(health: HealthService): Router {
  const router = Router();
  router.use((_req, res, next) => {
    res.setHeader('Cache-Control', 'no-store');
    next();
  });

  router.get('/live', (_req, res) => {
    res.json({ status: 'healthy' });
  });

  router.get('/redis', async (_req, res) => {
    const healthy = await health.redisHealthy();
    res.status(healthy ? 200 : 503).json({ status: healthy ? 'healthy' : 'unhealthy' });
  });

  router.get('/', async (_req, res) => {
    const report = await health.report();
    res.status(report.status === 'healthy' ? 200 : 503).json(report);
  });

  return router;
}
