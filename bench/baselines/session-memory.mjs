// Scenario 1b: the same route on Express 5 + express-session with its MemoryStore, behind a
// logged-in session, the user JSON kept in process memory: the stack's own ceiling.
// Env: PORT, USER_JSON, SESSION_SECRET.
import { readFileSync } from 'node:fs';
import express from 'express';
import session from 'express-session';

const user = JSON.parse(readFileSync(process.env.USER_JSON, 'utf8'));
const app = express();
app.use(
  session({
    secret: process.env.SESSION_SECRET,
    name: 'crewplots.sid',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, secure: false, sameSite: 'lax', maxAge: 24 * 60 * 60 * 1000 },
  }),
);

// A login that stores what the app's sessions store: who the user is and what access checks need.
app.post('/login', (req, res, next) => {
  req.session.regenerate((err) => {
    if (err) return next(err);
    Object.assign(req.session, { userId: 1, role: 'admin', locationIds: [], loginAt: Date.now(), refreshedAt: Date.now() });
    req.session.save((err2) => (err2 ? next(err2) : res.json({ ok: true })));
  });
});

app.get('/api/users/:id', (req, res) => {
  if (!req.session.userId) return res.status(401).json({ error: 'unauthenticated' });
  res.json(user);
});

const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => console.log(`listening on ${process.env.PORT}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
