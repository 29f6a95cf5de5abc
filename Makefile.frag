# Added by config.m4: cargo builds the extension; phpize's install-modules
# copies modules/sockguard.so into PHP's extension_dir.
$(phplibdir)/sockguard.so: $(top_srcdir)/Cargo.toml $(top_srcdir)/build.rs $(wildcard $(top_srcdir)/src/*.rs $(top_srcdir)/src/*/*.rs)
	cd $(top_srcdir) && PHP_CONFIG="$(SOCKGUARD_PHP_CONFIG)" PHP="$(SOCKGUARD_PHP)" $(CARGO) build --release --locked
	mkdir -p $(phplibdir)
	cp "$${CARGO_TARGET_DIR:-$(top_srcdir)/target}/release/libsockguard.so" $@
