dnl config.m4 for sockguard: lets `phpize && ./configure && make && make install`
dnl (and PIE, which runs exactly that) build the Rust extension with cargo.
PHP_ARG_ENABLE([sockguard],
  [whether to enable sockguard],
  [AS_HELP_STRING([--enable-sockguard], [Enable sockguard (outbound-socket policy)])],
  [yes])

if test "$PHP_SOCKGUARD" != "no"; then
  AC_PATH_PROG([CARGO], [cargo], [no])
  if test "$CARGO" = "no"; then
    AC_MSG_ERROR([cargo (Rust 1.85 or newer) is needed to build sockguard])
  fi
  dnl The module is built by cargo, not by libtool: point phpize's targets at it.
  PHP_MODULES="\$(phplibdir)/sockguard.so"
  dnl ext-php-rs wants an absolute php-config path.
  SOCKGUARD_PHP_CONFIG=`command -v "$PHP_CONFIG" || echo "$PHP_CONFIG"`
  dnl ... and reads "Thread Safety" from `php -i`: the php of that php-config.
  SOCKGUARD_PHP=`"$SOCKGUARD_PHP_CONFIG" --php-binary`
  PHP_SUBST(CARGO)
  PHP_SUBST(SOCKGUARD_PHP_CONFIG)
  PHP_SUBST(SOCKGUARD_PHP)
  PHP_ADD_MAKEFILE_FRAGMENT([$abs_srcdir/Makefile.frag])
fi
