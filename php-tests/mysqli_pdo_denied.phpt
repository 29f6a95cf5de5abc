--TEST--
mysqli and PDO_MYSQL (mysqlnd) fail with the reason for a blocked server and reach an allowed one
--EXTENSIONS--
sockguard
mysqli
pdo_mysql
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
echo probe_without_sockguard('tcp://10.20.30.40:3306'), "\n";
mysqli_report(MYSQLI_REPORT_OFF);
var_dump(@mysqli_connect('10.20.30.40', 'app', 'secret', 'db', 3306));
echo mysqli_connect_errno(), ' ', mysqli_connect_error(), "\n";
var_dump(@mysqli_connect('localhost', 'app', 'secret', 'db', 3306, '/run/mysqld/mysqld.sock'));
echo mysqli_connect_errno(), ' ', mysqli_connect_error(), "\n";
foreach (['mysql:host=private.sockguard.test;port=3306', 'mysql:host=127.0.0.1;port=3306', 'mysql:unix_socket=/run/mysqld/mysqld.sock'] as $dsn) {
    try {
        new PDO($dsn, 'app', 'secret');
    } catch (PDOException $e) {
        echo $e->getMessage(), "\n";
    }
}
// A public server is reached: the stand-in is not MySQL, so the handshake fails after connecting.
var_dump(@mysqli_connect('public.sockguard.test', 'app', 'secret', 'db', 3306));
echo mysqli_connect_errno(), "\n";
?>
--EXPECT--
open
bool(false)
2002 sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
bool(false)
2002 sockguard: transport unix is not allowed
SQLSTATE[HY000] [2002] sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8
SQLSTATE[HY000] [2002] sockguard: 127.0.0.1 is in a blocked range: loopback 127.0.0.0/8
SQLSTATE[HY000] [2002] sockguard: transport unix is not allowed
bool(false)
2006
