--TEST--
Guzzle (curl and stream handlers) and Symfony HttpClient (curl and native) reach allowed hosts and fail with the reason for denied ones
--EXTENSIONS--
sockguard
curl
--SKIPIF--
<?php
require __DIR__ . '/inc/netns.inc';
if (!is_file('/usr/share/php/GuzzleHttp/autoload.php')) die('skip php-guzzlehttp-guzzle is not installed');
if (!is_file('/usr/share/php/Symfony/Component/HttpClient/autoload.php')) die('skip php-symfony-http-client is not installed');
?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
require '/usr/share/php/GuzzleHttp/autoload.php';
require '/usr/share/php/Symfony/Component/HttpClient/autoload.php';

use GuzzleHttp\Client;
use GuzzleHttp\Handler\CurlHandler;
use GuzzleHttp\Handler\StreamHandler;
use GuzzleHttp\HandlerStack;
use Symfony\Component\HttpClient\CurlHttpClient;
use Symfony\Component\HttpClient\NativeHttpClient;

$urls = ['http://public.sockguard.test/', 'http://10.20.30.40/', 'http://metadata.sockguard.test/latest/meta-data/',
         'http://public.sockguard.test/redirect?to=http://127.0.0.1/'];
// Guzzle's stream handler silences fopen() and throws "Connection refused for
// URI ..." for any failed connect, so there the reason cannot show.
$reason = function (Throwable $e) {
    $kind = (new ReflectionClass($e))->getShortName();
    return preg_match('/sockguard: ([^)\n]*)/', $e->getMessage(), $m) ? "$kind ({$m[1]})" : "$kind: {$e->getMessage()}";
};

foreach (['curl' => new CurlHandler(), 'stream' => new StreamHandler()] as $name => $handler) {
    $client = new Client(['handler' => HandlerStack::create($handler), 'timeout' => 5]);
    foreach ($urls as $url) {
        try {
            $result = trim((string) $client->get($url)->getBody());
        } catch (Throwable $e) {
            $result = $reason($e);
        }
        echo "guzzle/$name $url => $result\n";
    }
}
foreach (['curl' => new CurlHttpClient(['timeout' => 5]), 'native' => new NativeHttpClient(['timeout' => 5])] as $name => $client) {
    foreach ($urls as $url) {
        try {
            $result = trim($client->request('GET', $url)->getContent());
        } catch (Throwable $e) {
            $result = $reason($e);
        }
        echo "symfony/$name $url => $result\n";
    }
}
?>
--EXPECT--
guzzle/curl http://public.sockguard.test/ => hello from 93.184.216.34:80
guzzle/curl http://10.20.30.40/ => ConnectException (10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
guzzle/curl http://metadata.sockguard.test/latest/meta-data/ => ConnectException (169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
guzzle/curl http://public.sockguard.test/redirect?to=http://127.0.0.1/ => ConnectException (127.0.0.1 is in a blocked range: loopback 127.0.0.0/8)
guzzle/stream http://public.sockguard.test/ => hello from 93.184.216.34:80
guzzle/stream http://10.20.30.40/ => ConnectException: Connection refused for URI http://10.20.30.40/
guzzle/stream http://metadata.sockguard.test/latest/meta-data/ => ConnectException: Connection refused for URI http://metadata.sockguard.test/latest/meta-data/
guzzle/stream http://public.sockguard.test/redirect?to=http://127.0.0.1/ => ConnectException: Connection refused for URI http://127.0.0.1/
symfony/curl http://public.sockguard.test/ => hello from 93.184.216.34:80
symfony/curl http://10.20.30.40/ => TransportException (10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
symfony/curl http://metadata.sockguard.test/latest/meta-data/ => TransportException (169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
symfony/curl http://public.sockguard.test/redirect?to=http://127.0.0.1/ => TransportException (127.0.0.1 is in a blocked range: loopback 127.0.0.0/8)
symfony/native http://public.sockguard.test/ => hello from 93.184.216.34:80
symfony/native http://10.20.30.40/ => TransportException (10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
symfony/native http://metadata.sockguard.test/latest/meta-data/ => TransportException (169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
symfony/native http://public.sockguard.test/redirect?to=http://127.0.0.1/ => TransportException (127.0.0.1 is in a blocked range: loopback 127.0.0.0/8)
