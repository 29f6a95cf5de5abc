/* Zend and ext/sockets declarations that ext-php-rs does not bind. build.rs
 * runs bindgen over this file with an allowlist; everything the allowed items
 * refer to comes from ext_php_rs::ffi. */
#include "php.h"
#include "php_network.h"
#include "zend_ini.h"
/* php_sockets.h only declares its types when the build has ext/sockets. */
#define HAVE_SOCKETS 1
#include "ext/sockets/php_sockets.h"
