--TEST--
A failure inside sockguard (a panic, injected here with SOCKGUARD_FAULT) denies the call the way a refusal fails, and PHP keeps running
--EXTENSIONS--
sockets
curl
sockguard
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--ENV--
SOCKGUARD_FAULT=socket_connect,socket_get_option,stream transport operation,curl open socket,minfo
--CAPTURE_STDIO--
STDOUT
--FILE--
<?php
require __DIR__ . '/inc/probe.inc';
// Every call below is allowed without the fault: the public server answers.
echo probe_without_sockguard('tcp://93.184.216.34:80'), "\n";
$s = socket_create(AF_INET, SOCK_STREAM, SOL_TCP);
var_dump(socket_connect($s, "93.184.216.34", 80));
var_dump(socket_get_option($s, SOL_SOCKET, SO_KEEPALIVE));
var_dump(fsockopen("93.184.216.34", 80, $errno, $errstr, 2));
var_dump(stream_socket_client("tcp://93.184.216.34:80", $errno, $errstr, 2), $errno);
var_dump(file_get_contents("http://93.184.216.34/"));
$ch = curl_init("http://93.184.216.34/");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
var_dump(curl_exec($ch), curl_errno($ch), curl_error($ch));
ob_start();
(new ReflectionExtension('sockguard'))->info();
echo implode("\n", preg_grep('/^error =>/', explode("\n", ob_get_clean()))), "\n";
echo "still running\n";
?>
--EXPECTF--
open

Warning: socket_connect(): unable to complete the call [13]: Permission denied (sockguard: internal error (socket_connect: fault injected at socket_connect (SOCKGUARD_FAULT)); denied) in %s on line %d
bool(false)

Warning: socket_get_option(): unable to complete the call [13]: Permission denied (sockguard: internal error (socket_get_option: fault injected at socket_get_option (SOCKGUARD_FAULT)); denied) in %s on line %d
bool(false)

Warning: fsockopen(): Unable to connect to 93.184.216.34:80 (sockguard: internal error (stream transport operation: fault injected at stream transport operation (SOCKGUARD_FAULT)); denied) in %s on line %d
bool(false)

Warning: stream_socket_client(): Unable to connect to tcp://93.184.216.34:80 (sockguard: internal error (stream transport operation: fault injected at stream transport operation (SOCKGUARD_FAULT)); denied) in %s on line %d
bool(false)
int(13)

Warning: file_get_contents(http://93.184.216.34/): Failed to open stream: sockguard: internal error (stream transport operation: fault injected at stream transport operation (SOCKGUARD_FAULT)); denied in %s on line %d
bool(false)
bool(false)
int(7)
string(%d) "Failed to connect to 93.184.216.34 port 80 after %d ms: %s (sockguard: internal error (curl open socket: fault injected at curl open socket (SOCKGUARD_FAULT)); denied)"
error => internal error (minfo: fault injected at minfo (SOCKGUARD_FAULT)); denied
still running
