#!/usr/bin/env bash
# Hot backups of both MariaDB servers that restore as one consistent bank, and the restore, without Docker.
#
#   deploy/local/backup.sh backup [--to DIR]    back up server 1 (bank_db1, bank_core), then server 2 (bank_db2), while
#                                               the services run; prints the folder (default DATA/backups/<UTC stamp>)
#   deploy/local/backup.sh restore DIR          stops both servers, keeps their data folders aside, puts the backup in
#                                               their place with this machine's logins and starts them again
#   deploy/local/backup.sh list                 one line per folder under DATA/backups
#
# Environment: the same as servers.sh (BANKING_DATA_DIR, BANKING_MYSQL1_PORT, BANKING_MYSQL2_PORT, ...), so that a
# backup taken from one set of servers restores onto another, e.g. the test suite's private ones. The servers are
# found through 'servers.sh primary-dir N' (the primary when a server has a replica); root logs in over its socket with
# DATA/secrets/mysql-root, read from a 0600 option file, never from a command line. Needs mariadb-backup and
# mariadb-binlog (Debian packages mariadb-backup, mariadb-client).
#
# What one backup folder holds (0700: it contains password hashes and every account):
#   mysql1/, mysql2/    each server's mariadb-backup, prepared (ready for --copy-back)
#   binlog1/, binlog2/  each server's binary log from its backup's position to the cut
#   manifest            UTC times, positions, sizes, as name=value lines; 'complete=yes' is written last
#
# Why a cut, and not only the order. Each mariadb-backup is one consistent point of its whole server, but the two
# servers' points are seconds apart, and the saga (bank_core, server 1) and the credit ledger (bank_db2, server 2)
# only agree at one instant. Server 1 is taken first: a credit the saga at its point t1 believes in happened before
# t1, so server 2's backup at t2 > t1 holds it; a credit server 2 has for a transfer the saga at t1 waits on in
# Crediting is found again when the restored orchestrator's sweeper sends the step again (the ledger answers a
# repeated (transfer, operation) with its first outcome). The reverse order could restore a saga that believes a
# credit the restored DB2 does not have: money lost. But the order alone is not enough: a transfer requested,
# debited and credited between t1 and t2 is in DB2 and nowhere on server 1, so restoring the two backups as they are
# would create its amount (the debit and the saga row are missing, the credit is not), and a transfer server 1 saw
# only up to Debiting would have its debit decided again against other balances while DB2 already holds its credit.
# So after both backups (and their --prepare) the script takes a cut: it blocks commits on server 2 for a moment
# (BACKUP STAGE BLOCK_COMMIT, the lock mariadb-backup itself takes), reads server 2's binary log position, reads
# server 1's, and lets server 2 go on. Any server 1 position read while server 2 cannot commit is consistent with server 2's: a reply
# the saga had consumed was committed on server 2 before the block, and a command the saga had not yet sent cannot
# have been committed there. The restore replays each server's binary log from its backup's position up to the cut.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
data="${BANKING_DATA_DIR:-$root/.local}"
secrets="$data/secrets"
servers="$here/servers.sh"

log() { echo "[backup] $*" >&2; }
fail() { echo "[backup] ERROR: $*" >&2; exit 1; }

utc() { date -u +%Y-%m-%dT%H:%M:%SZ; }

require_tools() {
  local tool
  for tool in mariadb-backup mariadb-binlog mariadb mariadb-admin mariadbd; do
    command -v "$tool" >/dev/null \
      || fail "$tool is missing; install it (as root: DEBIAN_FRONTEND=noninteractive apt-get install -y mariadb-backup mariadb-client)"
  done
}

# The folder of server N's primary: its socket, pid file and data/. servers.sh knows which member that is.
primary_dir() { "$servers" primary-dir "$1"; }

# Root's password in an option file (0600) in a private folder, removed on exit: never on a command line, where every
# local user can read it in ps. Made once by the main shell (a trap set in a $(...) would remove it at once).
root_cnf=""
make_root_option_file() {
  [ -s "$secrets/mysql-root" ] || fail "$secrets/mysql-root is missing: these are not servers started by servers.sh"
  local folder
  folder="$(mktemp -d "${TMPDIR:-/tmp}/banking-backup.XXXXXX")"
  chmod 0700 "$folder"
  trap 'rm -rf "'"$folder"'"' EXIT
  root_cnf="$folder/root.cnf"
  ( umask 077; printf '[client]\nuser=root\npassword=%s\n' "$(cat "$secrets/mysql-root")" > "$root_cnf" )
}

# root SOCKET [mariadb options...]: root on that socket with this machine's password.
root_sql() {
  local socket="$1"
  shift
  mariadb --defaults-extra-file="$root_cnf" --socket="$socket" "$@"
}

answers() { mariadb-admin --defaults-extra-file="$root_cnf" --connect-timeout=5 --socket="$1/mysqld.sock" ping >/dev/null 2>&1; }

manifest_value() { sed -n "s/^$2=//p" "$1/manifest" | tail -n 1; }

# ---------------------------------------------------------------- backup
backup() {
  local target=""
  while [ $# -gt 0 ]; do
    case "$1" in
      --to) target="${2:-}"; [ -n "$target" ] || fail "--to needs a folder"; shift 2 ;;
      --to=*) target="${1#*=}"; shift ;;
      *) fail "unknown option '$1' (backup [--to DIR])" ;;
    esac
  done
  require_tools
  # Every file of a backup is the owner's alone: it holds password hashes and every account.
  umask 077
  if [ -z "$target" ]; then
    mkdir -p "$data/backups"
    chmod 0700 "$data/backups"
    target="$data/backups/$(date -u +%Y%m%dT%H%M%SZ)"
  fi
  [ ! -e "$target" ] || [ -z "$(ls -A "$target" 2>/dev/null)" ] || fail "$target exists and is not empty"
  ( umask 077; mkdir -p "$target" )
  chmod 0700 "$target"
  target="$(cd "$target" && pwd)"

  local n dir started
  for n in 1 2; do
    dir="$(primary_dir "$n")"
    answers "$dir" || fail "mysql$n (primary in $dir) does not answer on its socket; nothing was backed up"
  done

  started="$(utc)"
  {
    echo "format=banking-backup-1"
    echo "started_utc=$started"
    echo "source_data_dir=$data"
  } > "$target/manifest"

  # Server 1 first, then server 2: see the header for why, and why the cut below is still needed.
  local clock
  for n in 1 2; do
    dir="$(primary_dir "$n")"
    log "mysql$n: hot backup of $dir"
    clock=$SECONDS
    echo "server$n.source=$dir" >> "$target/manifest"
    echo "server$n.backup_started_utc=$(utc)" >> "$target/manifest"
    mariadb-backup --defaults-extra-file="$root_cnf" --backup --target-dir="$target/mysql$n" \
      --socket="$dir/mysqld.sock" > "$target/mysql$n.log" 2>&1 \
      || { tail -n 20 "$target/mysql$n.log" >&2; fail "mariadb-backup --backup of mysql$n failed; $target is incomplete"; }
    echo "server$n.backup_finished_utc=$(utc)" >> "$target/manifest"
    echo "server$n.backup_seconds=$((SECONDS - clock))" >> "$target/manifest"
    local info file pos gtid
    info="$(cat "$target/mysql$n/mariadb_backup_binlog_info" 2>/dev/null || cat "$target/mysql$n/xtrabackup_binlog_info" 2>/dev/null)" \
      || fail "mysql$n's backup has no binlog info file (is the binary log on?); $target is incomplete"
    read -r file pos gtid <<< "$info"
    [ -n "$file" ] && [ -n "$pos" ] || fail "mysql$n's binlog info file is empty; $target is incomplete"
    echo "server$n.binlog_file=$file" >> "$target/manifest"
    echo "server$n.binlog_pos=$pos" >> "$target/manifest"
    echo "server$n.gtid=${gtid:-}" >> "$target/manifest"
  done

  for n in 1 2; do
    log "mysql$n: preparing the backup"
    clock=$SECONDS
    mariadb-backup --prepare --target-dir="$target/mysql$n" >> "$target/mysql$n.log" 2>&1 \
      || { tail -n 20 "$target/mysql$n.log" >&2; fail "mariadb-backup --prepare of mysql$n failed; $target is incomplete"; }
    echo "server$n.prepare_seconds=$((SECONDS - clock))" >> "$target/manifest"
    echo "server$n.bytes=$(du -sb "$target/mysql$n" | cut -f1)" >> "$target/manifest"
  done

  # The cut comes last: the restore replays each binary log from its backup's position to it, so the bank restored is
  # the bank at the cut, however long the backups and their preparation took.
  take_cut "$target"

  for n in 1 2; do
    copy_binlogs "$target" "$n"
    echo "server$n.binlog_bytes=$(du -sb "$target/binlog$n" | cut -f1)" >> "$target/manifest"
  done
  chmod -R go-rwx "$target"
  {
    echo "finished_utc=$(utc)"
    echo "bytes=$(du -sb "$target" | cut -f1)"
    echo "complete=yes"
  } >> "$target/manifest"
  log "backup complete: $(du -sh "$target" | cut -f1) in $target"
  echo "$target"
}

# One instant at which both servers agree (header): server 2 cannot commit while both positions are read. The block
# lasts two SELECTs; mariadb-backup holds the same lock on every backup. If this script dies, the session ends with
# it and the lock goes.
take_cut() {
  local target="$1" dir1 dir2 line blocked="" file2="" pos2="" gtid2="" file1 pos1 gtid1
  dir1="$(primary_dir 1)"
  dir2="$(primary_dir 2)"
  coproc HOLD { exec mariadb --defaults-extra-file="$root_cnf" --socket="$dir2/mysqld.sock" -N -B --unbuffered 2>&1; }
  printf '%s\n' "SET SESSION lock_wait_timeout = 10;" "BACKUP STAGE START;" "BACKUP STAGE BLOCK_COMMIT;" \
    "SELECT 'blocked', @@gtid_binlog_pos;" "SHOW MASTER STATUS;" >&"${HOLD[1]}"
  while IFS=$'\t' read -r -t 30 line rest <&"${HOLD[0]}"; do
    if [ "$line" = blocked ]; then blocked=1 gtid2="$rest"
    elif [ -n "$blocked" ]; then file2="$line" pos2="${rest%%$'\t'*}"; break
    else log "mysql2: $line $rest"; fi
  done
  [ -n "$file2" ] && [ -n "$pos2" ] || { kill "$HOLD_PID" 2>/dev/null || true; fail "could not block commits on mysql2 for the cut; $target is incomplete"; }
  read -r file1 pos1 gtid1 < <(root_sql "$dir1/mysqld.sock" -N -B -e "SHOW MASTER STATUS; SELECT @@gtid_binlog_pos;" | paste -s -d '\t' | cut -f1,2,5)
  printf '%s\n' "BACKUP STAGE END;" "SELECT 'released';" >&"${HOLD[1]}"
  while read -r -t 30 line <&"${HOLD[0]}"; do [ "$line" != released ] || break; done
  eval "exec ${HOLD[1]}>&-"
  wait "$HOLD_PID" 2>/dev/null || true
  [ -n "${file1:-}" ] && [ -n "${pos1:-}" ] || fail "could not read mysql1's binary log position for the cut; $target is incomplete"
  log "cut: mysql1 at $file1:$pos1 (${gtid1:-}), mysql2 at $file2:$pos2 (${gtid2:-})"
  {
    echo "cut_utc=$(utc)"
    echo "server1.cut_file=$file1"
    echo "server1.cut_pos=$pos1"
    echo "server1.cut_gtid=${gtid1:-}"
    echo "server2.cut_file=$file2"
    echo "server2.cut_pos=$pos2"
    echo "server2.cut_gtid=${gtid2:-}"
  } >> "$target/manifest"
}

# Server N's binary log files from its backup's file to the cut's, the last one closed first (FLUSH BINARY LOGS) so
# that the copy is whole up to the cut.
copy_binlogs() {
  local target="$1" n="$2" dir first last name files=""
  dir="$(primary_dir "$n")"
  first="$(manifest_value "$target" "server$n.binlog_file")"
  last="$(manifest_value "$target" "server$n.cut_file")"
  root_sql "$dir/mysqld.sock" -e "FLUSH BINARY LOGS;"
  ( umask 077; mkdir -p "$target/binlog$n" )
  for name in $(cd "$dir/data" && ls | grep -E '^binlog\.[0-9]+$' | sort); do
    if [[ "$name" < "${first##*/}" ]] || [[ "$name" > "${last##*/}" ]]; then continue; fi
    cp "$dir/data/$name" "$target/binlog$n/$name"
    files="$files${files:+ }$name"
  done
  [ -n "$files" ] || fail "mysql$n's binary log from ${first##*/} to ${last##*/} is not in $dir/data; $target is incomplete"
  echo "server$n.binlogs=$files" >> "$target/manifest"
}

# ---------------------------------------------------------------- restore
# Everything restore needs, checked before any server is touched.
check_backup() {
  local dir="$1" n type file
  [ -d "$dir" ] || fail "$dir is not a folder"
  [ -f "$dir/manifest" ] || fail "$dir has no manifest: not a backup made by backup.sh; nothing was changed"
  [ "$(manifest_value "$dir" format)" = banking-backup-1 ] || fail "$dir/manifest is not a banking-backup-1 manifest; nothing was changed"
  [ "$(manifest_value "$dir" complete)" = yes ] || fail "$dir is incomplete (its backup did not finish: no complete=yes in the manifest); nothing was changed"
  for n in 1 2; do
    file="$dir/mysql$n/xtrabackup_checkpoints"
    [ -f "$file" ] || file="$dir/mysql$n/mariadb_backup_checkpoints"
    [ -f "$file" ] || fail "$dir/mysql$n has no checkpoints file: not a mariadb-backup; nothing was changed"
    type="$(sed -n 's/^backup_type = //p' "$file")"
    case "$type" in
      log-applied|full-prepared) ;;
      *) fail "$dir/mysql$n is not prepared (backup_type '$type'; run mariadb-backup --prepare, or take a new backup); nothing was changed" ;;
    esac
    [ -d "$dir/mysql$n/mysql" ] || fail "$dir/mysql$n has no mysql schema: the backup is damaged; nothing was changed"
    for key in binlog_file binlog_pos cut_file cut_pos binlogs; do
      [ -n "$(manifest_value "$dir" "server$n.$key")" ] || fail "$dir/manifest has no server$n.$key; nothing was changed"
    done
    for file in $(manifest_value "$dir" "server$n.binlogs"); do
      [ -s "$dir/binlog$n/$file" ] || fail "$dir/binlog$n/$file is missing; nothing was changed"
    done
  done
}

restore() {
  local source="${1:-}"
  [ -n "$source" ] || fail "restore needs the backup's folder (restore DIR)"
  require_tools
  check_backup "$source"
  source="$(cd "$source" && pwd)"
  local stamp n dir replicated=0
  stamp="$(date -u +%Y%m%dT%H%M%SZ)"
  [ ! -f "$data/mysql-replicas" ] || replicated=1
  log "restoring $source (taken $(manifest_value "$source" started_utc)) onto the servers in $data"
  local clock=$SECONDS
  for n in 1 2; do
    if [ "$replicated" = 1 ]; then "$servers" stop-one "mysql$n-replica" >&2; fi
    "$servers" stop-one "mysql$n" >&2
  done
  for n in 1 2; do
    dir="$(primary_dir "$n")"
    if [ -d "$dir/data" ]; then
      mv "$dir/data" "$dir/data.before-restore-$stamp"
      log "mysql$n: the data it had is kept in $dir/data.before-restore-$stamp"
    fi
    mkdir -p "$dir"
    mariadb-backup --copy-back --target-dir="$source/mysql$n" --datadir="$dir/data" > "$dir/restore-$stamp.log" 2>&1 \
      || { tail -n 20 "$dir/restore-$stamp.log" >&2; fail "mariadb-backup --copy-back of mysql$n failed (see $dir/restore-$stamp.log); the data from before is in $dir/data.before-restore-$stamp"; }
    chmod 0700 "$dir/data"
    roll_forward "$source" "$n" "$dir" "$stamp"
  done
  for n in 1 2; do
    "$servers" start-one "mysql$n" >&2
    # The replica's data is the old bank's: it is built again from the restored primary.
    if [ "$replicated" = 1 ]; then "$servers" rebuild "mysql$n-replica" >&2; fi
  done
  log "restored in $((SECONDS - clock)) s; the servers hold the bank as of the backup's cut ($(manifest_value "$source" cut_utc))"
}

# Server N's restored data, on its own (no TCP, no grants) for a moment: it takes this machine's root password, its
# binary log is replayed from the backup's position to the cut, and it stops again. servers.sh start-one then applies
# every service login from this machine's secrets (mysql_secure), as on any start.
roll_forward() {
  local source="$1" n="$2" dir="$3" stamp="$4" socket pidfile files=() file
  socket="$dir/restore.sock"
  pidfile="$dir/restore.pid"
  rm -f "$socket" "$pidfile"
  mariadbd --no-defaults --user=root --datadir="$dir/data" --socket="$socket" --pid-file="$pidfile" \
    --skip-networking --skip-grant-tables --log-error="$dir/restore-$stamp.err" \
    --log-bin="$dir/data/binlog" --sync-binlog=1 --server-id="$n" --log-bin-trust-function-creators=1 \
    --innodb-flush-log-at-trx-commit=1 --transaction-isolation=READ-COMMITTED \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    > /dev/null 2>&1 &
  local started=$! deadline=$((SECONDS + 60))
  until mariadb-admin --no-defaults --connect-timeout=5 --socket="$socket" -uroot ping >/dev/null 2>&1; do
    kill -0 "$started" 2>/dev/null || { tail -n 20 "$dir/restore-$stamp.err" >&2; fail "mysql$n did not start on the restored data"; }
    [ $SECONDS -lt $deadline ] || { kill "$started"; fail "mysql$n did not answer on the restored data within 60 s"; }
    sleep 0.3
  done
  # FLUSH PRIVILEGES first: with --skip-grant-tables no account can be altered until the grant tables are loaded.
  # On standard input, not -e, so that the password is never on a command line.
  printf "FLUSH PRIVILEGES;\nALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s');\n" \
    "$(cat "$secrets/mysql-root")" | mariadb --no-defaults --socket="$socket" -uroot
  for file in $(manifest_value "$source" "server$n.binlogs"); do files+=("$source/binlog$n/$file"); done
  log "mysql$n: replaying its binary log from $(manifest_value "$source" "server$n.binlog_file"):$(manifest_value "$source" "server$n.binlog_pos") to the cut $(manifest_value "$source" "server$n.cut_file"):$(manifest_value "$source" "server$n.cut_pos")"
  mariadb-binlog --no-defaults --start-position="$(manifest_value "$source" "server$n.binlog_pos")" \
    --stop-position="$(manifest_value "$source" "server$n.cut_pos")" "${files[@]}" \
    | mariadb --defaults-extra-file="$root_cnf" --socket="$socket" \
    || { kill "$started"; fail "replaying mysql$n's binary log failed; the data from before is in $dir/data.before-restore-$stamp"; }
  # Again, in case the replayed log changed root's password.
  printf "ALTER USER 'root'@'localhost' IDENTIFIED VIA mysql_native_password USING PASSWORD('%s');\n" \
    "$(cat "$secrets/mysql-root")" | mariadb --defaults-extra-file="$root_cnf" --socket="$socket"
  mariadb-admin --defaults-extra-file="$root_cnf" --socket="$socket" shutdown
  deadline=$((SECONDS + 60))
  while kill -0 "$started" 2>/dev/null; do
    [ $SECONDS -lt $deadline ] || { kill -KILL "$started"; break; }
    sleep 0.2
  done
  rm -f "$socket" "$pidfile"
}

# ---------------------------------------------------------------- list
list() {
  local dir state
  [ -d "$data/backups" ] || { log "no backups in $data/backups"; return; }
  for dir in "$data/backups"/*/; do
    [ -d "$dir" ] || continue
    dir="${dir%/}"
    if [ ! -f "$dir/manifest" ]; then state="no manifest"
    elif [ "$(manifest_value "$dir" complete)" = yes ]; then state="complete"
    else state="INCOMPLETE"; fi
    printf '%s\t%s\tstarted %s\t%s\tcut %s\n' "$dir" "$state" "$(manifest_value "$dir" started_utc 2>/dev/null)" \
      "$(du -sh "$dir" | cut -f1)" "$(manifest_value "$dir" cut_utc 2>/dev/null)"
  done
}

case "${1:-}" in
  backup) shift; make_root_option_file; backup "$@" ;;
  restore) shift; make_root_option_file; restore "$@" ;;
  list) list ;;
  *) echo "usage: $0 backup [--to DIR] | restore DIR | list" >&2; exit 2 ;;
esac
