//! SoapClient::__doRequest: ext/soap opens its connection through the stream
//! transports (so the guard decides), but reports any failure only as
//! "Could not connect to host". This wrapper puts the sockguard reason into
//! the SoapFault, whether it was thrown or stored (`exceptions => false`).

use ext_php_rs::{
    ffi::{zend_class_entry, zend_object, zval},
    types::Zval,
    zend::ExecuteData,
};

use super::{
    engine::find_class,
    entry::{engine, entry},
    ffi::{zend_read_property, zend_update_property_string},
    originals::{call_original, Hook},
    streams,
};

const SOAP_CONNECT_FAILED: &str = "Could not connect to host";

/// Appends the reason to a SoapFault's message and faultstring, if it is the
/// connect failure.
///
/// # Safety
/// `fault` must be a live object.
unsafe fn annotate(fault: *mut zend_object, reason: &str) {
    let soap_fault_ce = find_class("soapfault");
    // SAFETY: checked non-null objects; properties are read and written with
    // the fault's own class as scope, as ext/soap does.
    unsafe {
        if fault.is_null() || soap_fault_ce.is_null() || (*fault).ce != soap_fault_ce {
            return;
        }
        let mut rv: zval = std::mem::zeroed();
        let current = zend_read_property(
            soap_fault_ce,
            fault,
            c"faultstring".as_ptr(),
            11,
            true,
            &mut rv,
        );
        if current.as_ref().and_then(Zval::str) != Some(SOAP_CONNECT_FAILED) {
            return;
        }
        let text = format!("{SOAP_CONNECT_FAILED} (sockguard: {reason})").replace('\0', "");
        let Ok(text) = std::ffi::CString::new(text) else {
            return;
        };
        let exception_ce: *mut zend_class_entry = find_class("exception");
        zend_update_property_string(
            soap_fault_ce,
            fault,
            c"faultstring".as_ptr(),
            11,
            text.as_ptr(),
        );
        zend_update_property_string(exception_ce, fault, c"message".as_ptr(), 7, text.as_ptr());
    }
}

/// The replacement handler of SoapClient::__doRequest.
pub unsafe extern "C" fn soap_do_request(ex: *mut ExecuteData, rv: *mut Zval) {
    streams::take_last_denial();
    // SAFETY: forwarded from the engine.
    unsafe { call_original(Hook::SoapDoRequest, ex, rv) };
    entry(
        "SoapClient::__doRequest",
        |_| Ok(()),
        || {
            let Some(reason) = streams::take_last_denial() else {
                return Ok(());
            };
            // SAFETY: executor globals are live during a request; `This` of
            // a method frame is the SoapClient object. The property writes
            // allocate, so they may bail out: under `engine`.
            engine(|| unsafe {
                let eg = crate::hooks::engine::executor_globals();
                annotate((*eg).exception, &reason);
                let this = &(*ex).This;
                if let Some(client) = this.object() {
                    let client_ptr = std::ptr::from_ref(client).cast_mut();
                    let mut rv_fault: zval = std::mem::zeroed();
                    let fault = zend_read_property(
                        (*client_ptr).ce,
                        client_ptr,
                        c"__soap_fault".as_ptr(),
                        12,
                        true,
                        &mut rv_fault,
                    );
                    if let Some(fault) = fault.as_ref().and_then(Zval::object) {
                        annotate(std::ptr::from_ref(fault).cast_mut(), &reason);
                    }
                }
            })
        },
    );
}
