#!/usr/bin/env bash
# npm run test:pgbouncer [-- jest args]: the integration suites with DATABASE_URL pointing at
# PgBouncer in transaction mode, as a pooled production deployment runs.
#
# Starts Debian's pgbouncer on a free loopback port in front of the test database's server
# (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/crewplots_test), runs every suite
# but the browser ones through it, and stops it by its pid. Its server connections are set to a
# zone that is not UTC and has half hours (America/St_Johns), so the run also shows that nothing
# depends on the session's time zone. PgBouncer 1.18 (Debian 12) does not carry prepared statements
# across transactions: the server uses unnamed statements only.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install -y pgbouncer)" >&2; exit 1; }

upstream="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/crewplots_test}"
# host port database user, from the URL (node parses it as the suites do)
read -r up_host up_port database user < <(node -e '
  const u = new URL(process.argv[1]);
  console.log(u.hostname || "127.0.0.1", u.port || "5432", u.pathname.slice(1), decodeURIComponent(u.username || "postgres"));
' "$upstream")
port="$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')"

dir="$(mktemp -d /tmp/crewplots-pgbouncer-XXXXXX)"
cat >"$dir/pgbouncer.ini" <<EOF
[databases]
* = host=$up_host port=$up_port timezone=America/St_Johns

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
server_idle_timeout = 10
logfile = $dir/pgbouncer.log
EOF
printf '"%s" ""\n' "$user" >"$dir/userlist.txt"

# PgBouncer will not run as root: as root (CI), it drops to the postgres user.
as_user=()
if [ "$(id -u)" = 0 ]; then
  chown -R postgres "$dir"
  as_user=(-u postgres)
fi
pgbouncer "${as_user[@]}" "$dir/pgbouncer.ini" >"$dir/stdout" 2>&1 &
pid=$!
stop() {
  # SIGINT: PgBouncer's safe shutdown, once its clients are gone.
  kill -INT "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap stop EXIT

for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  kill -0 "$pid" 2>/dev/null || { cat "$dir/stdout" "$dir/pgbouncer.log" >&2 2>/dev/null; exit 1; }
  sleep 0.1
done
echo "PgBouncer $(pgbouncer --version | head -1 | cut -d' ' -f2) (pid $pid) on 127.0.0.1:$port, transaction mode, in front of $up_host:$up_port"

export TEST_DATABASE_URL="postgres://$user@127.0.0.1:$port/$database"
status=0
NODE_OPTIONS='--experimental-vm-modules --disable-warning=ExperimentalWarning' \
  node_modules/.bin/jest "$@" --testPathIgnorePatterns '/node_modules/' '/test/e2e/' '/test/topologies/' || status=$?
exit "$status"
