<?php
// Benchmark page that opens no socket: what every request pays for
// sockguard's per-request work alone.
echo "ok\n";
