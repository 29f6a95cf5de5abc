--TEST--
stubs/sockguard.stub.php declares exactly the functions and signatures the extension registers, and the stub and packaging/sockguard.ini document every ini setting with its default
--EXTENSIONS--
sockguard
--FILE--
<?php
$stub = file_get_contents(__DIR__ . '/../stubs/sockguard.stub.php');
preg_match_all('/^function (\w+)\((.*)\): (\w+) \{\}$/m', $stub, $m, PREG_SET_ORDER);
$declared = [];
foreach ($m as [, $name, $params, $ret]) {
    $declared[$name] = "$name($params): $ret";
}
$registered = [];
foreach ((new ReflectionExtension('sockguard'))->getFunctions() as $f) {
    $params = [];
    foreach ($f->getParameters() as $p) {
        $s = $p->getType() . ' $' . $p->getName();
        if ($p->isDefaultValueAvailable()) {
            $s .= ' = ' . var_export($p->getDefaultValue(), true);
        }
        $params[] = $s;
    }
    $registered[$f->getName()] = $f->getName() . '(' . implode(', ', $params) . '): ' . $f->getReturnType();
}
ksort($declared);
ksort($registered);
// The stub writes string defaults with double quotes.
$declared = array_map(fn ($s) => str_replace('"', "'", $s), $declared);
var_dump($declared === $registered);
if ($declared !== $registered) {
    var_dump($declared, $registered);
}
$ini = file_get_contents(__DIR__ . '/../packaging/sockguard.ini');
foreach (ini_get_all('sockguard') as $setting => $info) {
    if (!str_contains($stub, $setting)) {
        echo "undocumented setting in the stub: $setting\n";
    }
    // The packaged ini lists every setting, commented, with its default.
    $default = $info['global_value'];
    if (!preg_match('/^;' . preg_quote($setting, '/') . ' = ?' . preg_quote($default, '/') . '$/m', $ini)) {
        echo "packaging/sockguard.ini lacks \";$setting = $default\"\n";
    }
}
echo implode("\n", $registered), "\n";
?>
--EXPECT--
bool(true)
sockguard_check(string $target, int $port = 0, string $transport = 'tcp', string $caller = 'client'): array
sockguard_metrics(): string
sockguard_stats(): array
