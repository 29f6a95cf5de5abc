--TEST--
The floor: libpq's own connects (pg_connect and PDO pgsql, over TCP and a unix socket) are denied as the kernel refuses them, and sockguard says why
--EXTENSIONS--
pgsql
pdo_pgsql
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/libraries.inc'; ?>
--FILE--
<?php
$dir = getenv('SOCKGUARD_PG_SOCKET_DIR');
$query = 'foreach (["host=10.20.30.40 port=5432", "host=' . $dir . '"] as $where) {'
    . ' $c = pg_connect("$where user=postgres dbname=postgres connect_timeout=2");'
    . ' echo $c ? pg_fetch_row(pg_query($c, "select 6 * 7"))[0] : "failed", "\n"; }';
echo "without sockguard:\n", shell_exec(escapeshellarg(PHP_BINARY) . ' -n -d extension=pgsql -r ' . escapeshellarg($query));
echo "with sockguard:\n";
var_dump(pg_connect("host=10.20.30.40 port=5432 user=postgres dbname=postgres connect_timeout=2"));
try {
    new PDO("pgsql:host=10.20.30.40;port=5432;dbname=postgres", "postgres");
} catch (PDOException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
var_dump(pg_connect("host=$dir user=postgres dbname=postgres"));
try {
    new PDO("pgsql:host=$dir;dbname=postgres", "postgres");
} catch (PDOException $e) {
    echo get_class($e), ": ", $e->getMessage(), "\n";
}
?>
--EXPECTF--
without sockguard:
42
42
with sockguard:

Warning: pg_connect(): Unable to connect to PostgreSQL server: connection to server at "10.20.30.40", port 5432 failed: Permission denied
	Is the server running on that host and accepting TCP/IP connections? in %s on line %d

Warning: pg_connect(): sockguard: connect(10.20.30.40:5432) from libpq.so.5 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
bool(false)

Warning: PDO::__construct(): sockguard: connect(10.20.30.40:5432) from libpq.so.5 denied: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8 in %s on line %d
PDOException: SQLSTATE[08006] [7] connection to server at "10.20.30.40", port 5432 failed: Permission denied
	Is the server running on that host and accepting TCP/IP connections?

Warning: pg_connect(): Unable to connect to PostgreSQL server: connection to server on socket "%s/.s.PGSQL.5432" failed: Permission denied
	Is the server running locally and accepting connections on that socket? in %s on line %d

Warning: pg_connect(): sockguard: connect(%s/.s.PGSQL.5432) from libpq.so.5 denied: transport unix is not allowed in %s on line %d
bool(false)

Warning: PDO::__construct(): sockguard: connect(%s/.s.PGSQL.5432) from libpq.so.5 denied: transport unix is not allowed in %s on line %d
PDOException: SQLSTATE[08006] [7] connection to server on socket "%s/.s.PGSQL.5432" failed: Permission denied
	Is the server running locally and accepting connections on that socket?
