//! Ownership of persistent streams (pfsockopen, STREAM_CLIENT_PERSISTENT,
//! mysqlnd `p:` hosts): each belongs to the app (`sockguard.app_id`) that
//! opened it, and a process switching apps closes the other app's ones
//! before a request starts, so a persistent socket is never handed to
//! another app (a process serves one app at a time; php-fpm pools never
//! share processes, mod_php virtual hosts may).

use std::cell::RefCell;

thread_local! {
    /// Owner (app id) of every persistent stream this thread opened, by its
    /// persistent id. Per thread, as the persistent list is under ZTS: a
    /// thread switching apps must neither close nor forget another
    /// thread's streams.
    static OWNERS: RefCell<Vec<(Vec<u8>, String)>> = const { RefCell::new(Vec::new()) };
}

/// Records that `app` opened the persistent stream `id`.
pub fn record_owner(id: &[u8], app: &str) {
    OWNERS.with_borrow_mut(|owners| {
        owners.retain(|(known, _)| known.as_slice() != id);
        owners.push((id.to_vec(), app.to_owned()));
    });
}

/// The persistent ids among `owners` that belong to another app than `app`.
fn foreign_ids(owners: &[(Vec<u8>, String)], app: &str) -> Vec<Vec<u8>> {
    owners
        .iter()
        .filter(|(_, owner)| owner != app)
        .map(|(id, _)| id.clone())
        .collect()
}

/// Closes the persistent streams of other apps before a request of `app`
/// starts.
pub fn release_foreign(app: &str) {
    let foreign = OWNERS.with_borrow(|owners| foreign_ids(owners, app));
    if foreign.is_empty() {
        return;
    }
    // SAFETY: executor globals are live at request startup; deleting an
    // entry runs the persistent-list destructor, which closes the stream.
    unsafe {
        let eg = crate::hooks::engine::executor_globals();
        let list = std::ptr::addr_of_mut!((*eg).persistent_list);
        for id in &foreign {
            ext_php_rs::ffi::zend_hash_str_del(list, id.as_ptr().cast(), id.len());
        }
    }
    OWNERS.with_borrow_mut(|owners| owners.retain(|(id, _)| !foreign.contains(id)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn persistent_streams_of_other_apps_are_released() {
        let owners = vec![
            (b"pfsockopen__db:3306".to_vec(), "shop".to_owned()),
            (
                b"stream_socket_client__tcp://api:443".to_vec(),
                "blog".to_owned(),
            ),
        ];
        assert_eq!(
            foreign_ids(&owners, "shop"),
            vec![b"stream_socket_client__tcp://api:443".to_vec()]
        );
        assert_eq!(
            foreign_ids(&owners, "blog"),
            vec![b"pfsockopen__db:3306".to_vec()]
        );
        assert_eq!(foreign_ids(&owners, "other").len(), 2);
    }
}
