// Scenario 1: a bare Express 5 app answering a fixed JSON body (the same ~2 KB user JSON the
// other scenarios send). The ceiling of the stack. Env: PORT, USER_JSON (file with the JSON).
import { readFileSync } from 'node:fs';
import express from 'express';

const user = JSON.parse(readFileSync(process.env.USER_JSON, 'utf8'));
const app = express();
app.get('/api/users/:id', (_req, res) => {
  res.json(user);
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
