// Scenario 1: a bare Express 5 app answering a fixed JSON body (the same ~2 KB user JSON the
// other scenarios send). The ceiling of the stack. Env: PORT, USER_JSON (file with the JSON);
// APP_SERVER (optional, for bench/express-shapes.ts): the compiled server/http/server.js, whose
// createAppServer then serves the app instead of Node's own server (decision 033).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import express from 'express';

const user = JSON.parse(readFileSync(process.env.USER_JSON, 'utf8'));
const app = express();
app.get('/api/users/:id', (_req, res) => {
  res.json(user);
});
const server = process.env.APP_SERVER ? (await import(process.env.APP_SERVER)).createAppServer(app) : http.createServer(app);
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
