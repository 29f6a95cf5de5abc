//! The arguments of a PHP call frame as the hooks read and rewrite them:
//! the count, one argument, the bytes ZPP filled in, and ports the way
//! ext/sockets and ext/ftp truncate them. A leaf.

use std::ffi::c_char;

use ext_php_rs::{ffi::zend_long, types::Zval, zend::ExecuteData};

/// ZEND_NUM_ARGS() of a frame.
///
/// # Safety
/// `ex` must be a live call frame.
pub unsafe fn num_args(ex: *mut ExecuteData) -> u32 {
    // SAFETY: the engine stores the argument count in This.u2.
    unsafe { (*ex).This.u2.num_args }
}

/// Argument `n` (1-based) of a frame, if the call passed that many.
///
/// # Safety
/// `ex` must be a live call frame.
pub unsafe fn arg<'a>(ex: *mut ExecuteData, n: usize) -> Option<&'a mut Zval> {
    // SAFETY: forwarded; ZEND_CALL_ARG(ex, n) is the zval n-1 slots past
    // the frame header, and it exists when the call passed at least n
    // arguments.
    unsafe {
        if n == 0 || (num_args(ex) as usize) < n {
            return None;
        }
        ex.cast::<Zval>().add(FRAME_SLOT + n - 1).as_mut()
    }
}

/// ZEND_MM_ALIGNED_SIZE: the engine's 8-byte alignment of frame parts.
const fn aligned(size: usize) -> usize {
    (size + 7) & !7
}

/// ZEND_CALL_FRAME_SLOT: the zval slots the frame header takes before the
/// first argument (ext-php-rs computes it the same way, out of line).
const FRAME_SLOT: usize =
    aligned(std::mem::size_of::<ExecuteData>()).div_ceil(aligned(std::mem::size_of::<Zval>()));

/// Replaces argument `n` with the string `value` (dropping what was there).
///
/// # Safety
/// `ex` must be a live frame.
pub unsafe fn set_string_arg(ex: *mut ExecuteData, n: usize, value: &str) {
    // SAFETY: forwarded.
    if let Some(slot) = unsafe { arg(ex, n) } {
        // Never fails (ext-php-rs documents the Result as infallible).
        let _ = slot.set_string(value, false);
    }
}

/// Whether zend_parse_parameters succeeded (it threw otherwise).
pub fn parsed(result: i32) -> bool {
    result == 0
}

/// The bytes of a `char*`/`size_t` pair that ZPP filled in.
///
/// # Safety
/// `ptr`/`len` must come from a successful ZPP "s" of this call.
pub unsafe fn zpp_bytes<'a>(ptr: *const c_char, len: usize) -> &'a [u8] {
    if ptr.is_null() {
        return &[];
    }
    // SAFETY: ZPP points into a zend_string argument kept alive by the frame.
    unsafe { std::slice::from_raw_parts(ptr.cast(), len) }
}

/// The part of `bytes` C code sees: up to the first NUL.
pub fn c_string_part(bytes: &[u8]) -> &[u8] {
    bytes.split(|b| *b == 0).next().unwrap_or_default()
}

/// ext/sockets truncates ports to 16 bits (`htons((unsigned short) port)`),
/// so 65561 is port 25: the check must see what the kernel will.
pub fn wire_port(port: zend_long) -> u16 {
    (port & 0xffff) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_are_where_ext_php_rs_finds_them() {
        // Zeroed memory with room for a frame header and a few arguments
        // (zvals are two words).
        let mut frame = vec![0u64; 2 * (FRAME_SLOT + 4)];
        let ex = frame.as_mut_ptr().cast::<ExecuteData>();
        for k in 0..4 {
            // SAFETY: the frame header and argument slots are in `frame`.
            let (ours, theirs) = unsafe {
                (
                    ex.cast::<Zval>().add(FRAME_SLOT + k),
                    (*ex).zend_call_arg(k).map(std::ptr::from_mut),
                )
            };
            assert_eq!(Some(ours), theirs, "argument {}", k + 1);
        }
    }

    #[test]
    fn ports_wrap_like_htons_of_an_unsigned_short() {
        assert_eq!(wire_port(25), 25);
        assert_eq!(wire_port(65_536 + 25), 25);
        assert_eq!(wire_port(-65_536 + 25), 25);
        assert_eq!(wire_port(-1), 65_535);
    }

    #[test]
    fn c_strings_end_at_the_first_nul() {
        assert_eq!(c_string_part(b"10.0.0.1\0.example.com"), b"10.0.0.1");
        assert_eq!(c_string_part(b"plain"), b"plain");
        assert_eq!(c_string_part(b""), b"");
    }
}
