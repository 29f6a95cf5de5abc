--TEST--
The floor: an operator allow rule for the PostgreSQL address (and a unix: rule for its socket) lets libpq through, end to end
--EXTENSIONS--
pgsql
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/libraries.inc'; ?>
--FILE--
<?php
$socket = getenv('SOCKGUARD_PG_SOCKET_DIR') . '/.s.PGSQL.5432';
$query = 'foreach (["host=10.20.30.40 port=5432", "host=' . dirname($socket) . '"] as $where) {'
    . ' $c = pg_connect("$where user=postgres dbname=postgres connect_timeout=2");'
    . ' echo $c ? pg_fetch_row(pg_query($c, "select version() like \'PostgreSQL%\'"))[0] : "failed", "\n"; }';
$cmd = escapeshellarg(PHP_BINARY) . ' -n -d extension=pgsql -d extension=sockguard -d '
    . escapeshellarg("sockguard.allow=10.20.30.40:5432,unix:$socket") . ' -r ' . escapeshellarg($query) . ' 2>&1';
echo shell_exec($cmd);
?>
--EXPECT--
t
t
