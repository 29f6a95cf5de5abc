//! Generates the Zend bindings that ext-php-rs does not ship (ext/sockets and
//! stream-transport internals) and turns the PHP version into cfg flags.

use std::{env, path::PathBuf, process::Command};

/// Types and functions bound from `src/hooks/ffi.h`; everything they refer to
/// comes from `ext_php_rs::ffi` (bindgen is not recursive here).
const EXTRA_BINDINGS: &[&str] = &[
    "PHP_SOCKET",
    "php_socket",
    "_zend_sockets_globals",
    "zend_sockets_globals",
    "module_registry",
    "zend_parse_parameters",
    "zend_ini_string_ex",
    "zend_unregister_ini_entries",
    "php_log_err_with_severity",
    "zend_argument_value_error",
    "php_stream_transport_factory",
    "php_stream_transport_factory_func",
    "php_stream_xport_get_hash",
    "php_stream_xport_param",
    "_php_stream_xport_param.*",
    "php_stream_context_get_option",
    "php_file_le_stream",
    "zend_update_property_string",
    "zend_read_property",
    "get_active_function_name",
    "get_active_class_name",
    "zend_get_executed_filename",
    "zend_get_executed_lineno",
    "php_file_le_pstream",
    "_php_stream_free",
    "zend_error",
    "PHP_STREAM_FREE_CLOSE",
    "STREAM_XPORT_SERVER",
    "PHP_STREAM_OPTION_XPORT_API",
    "PHP_STREAM_OPTION_CHECK_LIVENESS",
    "PHP_STREAM_OPTION_RETURN_OK",
    "PHP_STREAM_OPTION_RETURN_ERR",
];

fn php_config(arg: &str) -> String {
    let php_config = env::var("PHP_CONFIG").unwrap_or_else(|_| "php-config".to_owned());
    let out = Command::new(&php_config)
        .arg(arg)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {php_config} {arg}: {e} (install php<version>-dev, or set PHP_CONFIG to its path)"));
    assert!(out.status.success(), "{php_config} {arg} failed");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn main() {
    println!("cargo:rerun-if-changed=src/hooks/ffi.h");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PHP_CONFIG");

    let includes: Vec<String> = php_config("--includes")
        .split_whitespace()
        .map(str::to_owned)
        .collect();

    let mut builder = bindgen::Builder::default()
        .header("src/hooks/ffi.h")
        .clang_args(&includes)
        .allowlist_recursively(false)
        .layout_tests(true)
        .derive_default(false)
        .raw_line("#[allow(clippy::wildcard_imports, unused_imports)]")
        .raw_line("use ext_php_rs::ffi::*;")
        .raw_line("#[allow(unused_imports)]")
        .raw_line("use libc::{sockaddr, socklen_t, timeval};");
    for item in EXTRA_BINDINGS {
        builder = builder
            .allowlist_type(item)
            .allowlist_function(item)
            .allowlist_var(item);
    }
    let bindings = builder
        .generate()
        .expect("bindgen failed on src/hooks/ffi.h");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR")).join("zend_extra.rs");
    bindings.write_to_file(out).expect("write bindings");

    // Capabilities by PHP version, as cfgs the code names.
    let vernum: u32 = php_config("--vernum")
        .parse()
        .expect("php-config --vernum is not a number");
    println!("cargo:rustc-check-cfg=cfg(php_socket_type_flags)");
    println!("cargo:rustc-check-cfg=cfg(php_zts)");
    // A thread-safe PHP (ZTS) keeps module globals per thread, behind TSRM.
    let php_config_h = PathBuf::from(php_config("--include-dir")).join("main/php_config.h");
    println!("cargo:rerun-if-changed={}", php_config_h.display());
    let config_h = std::fs::read_to_string(&php_config_h)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", php_config_h.display()));
    if config_h.lines().any(|l| l.trim() == "#define ZTS 1") {
        println!("cargo:rustc-cfg=php_zts");
    }
    if vernum >= 80400 {
        // socket_create and socket_create_pair take SOCK_NONBLOCK and
        // SOCK_CLOEXEC or'ed into the type.
        println!("cargo:rustc-cfg=php_socket_type_flags");
    }
}
