--TEST--
SoapClient to a blocked endpoint throws a SoapFault that carries the reason; exceptions => false returns it
--EXTENSIONS--
sockguard
soap
--SKIPIF--
<?php require __DIR__ . '/inc/netns.inc'; ?>
--INI--
sockguard.mode=enforce
--FILE--
<?php
try {
    $c = new SoapClient(null, ['location' => 'http://10.20.30.40/soap', 'uri' => 'urn:sockguard']);
    $c->__soapCall('hello', []);
} catch (SoapFault $e) {
    echo get_class($e), ': ', $e->getMessage(), "\n";
}
$c = new SoapClient(null, ['location' => 'https://metadata.sockguard.test/soap', 'uri' => 'urn:sockguard', 'exceptions' => false]);
echo $c->__soapCall('hello', [])->faultstring, "\n";
try {
    $c = new SoapClient(null, ['location' => 'http://public.sockguard.test/soap', 'uri' => 'urn:sockguard']);
    $c->__soapCall('hello', []);
} catch (SoapFault $e) {
    // Reached the public server, which is not a SOAP service.
    echo $e->getMessage(), "\n";
}
?>
--EXPECT--
SoapFault: Could not connect to host (sockguard: 10.20.30.40 is in a blocked range: private-use 10.0.0.0/8)
Could not connect to host (sockguard: 169.254.169.254 is in a blocked range: link-local 169.254.0.0/16)
looks like we got no XML document
