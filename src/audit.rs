//! The audit log (`sockguard.audit_log`): one JSON line per denial, and per
//! would-be denial in report mode. Every record is whole or absent: writers
//! (concurrent php-fpm workers too) take an exclusive lock on the file,
//! append the line with one write(2), and cut the file back to where the
//! record began if the write came up short (a full disk), so the next
//! record never continues a broken one. Nothing is buffered.
//!
//! `sockguard.audit_log = syslog` sends the same JSON record to the host's
//! log instead, one datagram per record: to journald's native socket when
//! there is one (the record's fields become journal fields,
//! `SOCKGUARD_REASON=port-25`, with the JSON as `MESSAGE`), else to
//! `/dev/log` as syslog(3) sends it (`<PRI>ident[pid]: {json}`, with
//! `sockguard.syslog_facility` and `sockguard.syslog_ident`). openlog(3) is
//! not called: PHP's own `error_log = syslog` keeps its ident.

use std::{
    fs::File,
    io::{self, Write},
    net::IpAddr,
    os::fd::AsRawFd,
    time::{SystemTime, UNIX_EPOCH},
};

use serde::Serialize;

use crate::policy::Reason;

/// One audit record.
#[derive(Debug, Serialize)]
pub struct Entry<'a> {
    /// UTC time, RFC 3339 with milliseconds.
    pub time: String,
    /// `sockguard.app_id` of the request.
    pub app_id: &'a str,
    /// The PHP function (or path) that asked.
    pub function: &'a str,
    /// For a library's own call (seen by the C-library floor): the library
    /// and its C function, e.g. "libpq.so.5 (connect)"; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub library: Option<&'a str>,
    /// The target as the app gave it.
    pub target: &'a str,
    /// Addresses involved in the decision.
    pub addresses: Vec<String>,
    /// Destination port, when there is one.
    pub port: Option<u16>,
    /// tcp, udp, unix, udg, raw.
    pub transport: Option<&'a str>,
    /// Stable reason code.
    pub reason: &'static str,
    /// Human-readable reason.
    pub message: String,
    /// `deny`, or `report` for a would-be denial in report mode.
    pub action: &'static str,
    /// Script file of the call.
    pub file: &'a str,
    /// Script line of the call.
    pub line: u32,
}

/// The addresses a reason names.
pub fn addresses_of(reason: &Reason) -> Vec<String> {
    let ips: Vec<IpAddr> = match reason {
        Reason::BlockedRange { addr, via, .. } | Reason::GoogleRange { addr, via, .. } => {
            via.iter().copied().chain(std::iter::once(*addr)).collect()
        }
        _ => Vec::new(),
    };
    ips.iter().map(ToString::to_string).collect()
}

/// `secs` since the epoch as RFC 3339 UTC with milliseconds.
pub fn rfc3339(since_epoch: std::time::Duration) -> String {
    let secs = since_epoch.as_secs();
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since_epoch.subsec_millis()
    )
}

/// The current time for an entry.
pub fn now() -> String {
    rfc3339(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default(),
    )
}

/// Where `sockguard.audit_log = syslog` sends records, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Syslog {
    /// The facility, as a syslog(3) code (`LOG_USER`, `LOG_LOCAL0`, ...).
    pub facility: i32,
    /// The ident (`SYSLOG_IDENTIFIER`).
    pub ident: String,
}

impl Default for Syslog {
    fn default() -> Self {
        Syslog {
            facility: libc::LOG_USER,
            ident: "sockguard".to_owned(),
        }
    }
}

/// The syslog facilities by the names syslog.conf uses.
pub const FACILITIES: [(&str, i32); 20] = [
    ("kern", libc::LOG_KERN),
    ("user", libc::LOG_USER),
    ("mail", libc::LOG_MAIL),
    ("daemon", libc::LOG_DAEMON),
    ("auth", libc::LOG_AUTH),
    ("syslog", libc::LOG_SYSLOG),
    ("lpr", libc::LOG_LPR),
    ("news", libc::LOG_NEWS),
    ("uucp", libc::LOG_UUCP),
    ("cron", libc::LOG_CRON),
    ("authpriv", libc::LOG_AUTHPRIV),
    ("ftp", libc::LOG_FTP),
    ("local0", libc::LOG_LOCAL0),
    ("local1", libc::LOG_LOCAL1),
    ("local2", libc::LOG_LOCAL2),
    ("local3", libc::LOG_LOCAL3),
    ("local4", libc::LOG_LOCAL4),
    ("local5", libc::LOG_LOCAL5),
    ("local6", libc::LOG_LOCAL6),
    ("local7", libc::LOG_LOCAL7),
];

/// A facility by name (case-insensitive), if it is one.
pub fn facility(name: &str) -> Option<i32> {
    FACILITIES
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        .map(|&(_, f)| f)
}

/// journald's native socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";
/// The syslog socket syslog(3) writes to.
pub const SYSLOG_SOCKET: &str = "/dev/log";

/// The syslog severity of a record: a denial is a warning, a would-be
/// denial a notice.
fn severity(entry: &Entry<'_>) -> i32 {
    if entry.action == "deny" {
        libc::LOG_WARNING
    } else {
        libc::LOG_NOTICE
    }
}

/// The datagram syslog(3) sends for `json`: `<PRI>ident[pid]: json`.
/// There is no timestamp: the receiver stamps the record with its own
/// clock, as rsyslog and journald do with syslog(3)'s local time anyway.
pub fn syslog_datagram(syslog: &Syslog, entry: &Entry<'_>, json: &[u8], pid: u32) -> Vec<u8> {
    let mut out = format!(
        "<{}>{}[{pid}]: ",
        syslog.facility | severity(entry),
        syslog.ident
    )
    .into_bytes();
    out.extend_from_slice(json);
    out
}

/// One field of journald's native protocol: `NAME=value\n`, or for a value
/// with a newline, `NAME\n`, its length as 64-bit little endian, the value
/// and `\n`.
fn journal_field(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.extend_from_slice(name.as_bytes());
    if value.contains(&b'\n') {
        out.push(b'\n');
        out.extend_from_slice(&(value.len() as u64).to_le_bytes());
    } else {
        out.push(b'=');
    }
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// The datagram of journald's native protocol for a record: the JSON as
/// `MESSAGE`, the syslog fields, and each of the record's fields as
/// `SOCKGUARD_<NAME>`.
pub fn journal_datagram(syslog: &Syslog, entry: &Entry<'_>, json: &[u8], pid: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len() * 2 + 256);
    journal_field(&mut out, "MESSAGE", json);
    journal_field(&mut out, "PRIORITY", severity(entry).to_string().as_bytes());
    journal_field(
        &mut out,
        "SYSLOG_FACILITY",
        (syslog.facility >> 3).to_string().as_bytes(),
    );
    journal_field(&mut out, "SYSLOG_IDENTIFIER", syslog.ident.as_bytes());
    journal_field(&mut out, "SYSLOG_PID", pid.to_string().as_bytes());
    let fields: [(&str, Option<String>); 12] = [
        ("TIME", Some(entry.time.clone())),
        ("APP_ID", Some(entry.app_id.to_owned())),
        ("FUNCTION", Some(entry.function.to_owned())),
        ("LIBRARY", entry.library.map(str::to_owned)),
        ("TARGET", Some(entry.target.to_owned())),
        ("ADDRESSES", Some(entry.addresses.join(","))),
        ("PORT", entry.port.map(|p| p.to_string())),
        ("TRANSPORT", entry.transport.map(str::to_owned)),
        ("REASON", Some(entry.reason.to_owned())),
        ("ACTION", Some(entry.action.to_owned())),
        ("FILE", Some(entry.file.to_owned())),
        ("LINE", Some(entry.line.to_string())),
    ];
    for (name, value) in fields {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            journal_field(&mut out, &format!("SOCKGUARD_{name}"), value.as_bytes());
        }
    }
    journal_field(&mut out, "SOCKGUARD_MESSAGE", entry.message.as_bytes());
    out
}

/// Sends `entry` to journald if it listens, else to the syslog socket.
///
/// # Errors
/// The I/O error of the syslog socket (journald's is tried first and
/// quietly passed over when it is absent).
pub fn send_syslog(syslog: &Syslog, entry: &Entry<'_>) -> io::Result<()> {
    let json = serde_json::to_vec(entry).map_err(io::Error::other)?;
    let pid = std::process::id();
    let socket = std::os::unix::net::UnixDatagram::unbound()?;
    if std::path::Path::new(JOURNAL_SOCKET).exists()
        && socket
            .send_to(&journal_datagram(syslog, entry, &json, pid), JOURNAL_SOCKET)
            .is_ok()
    {
        return Ok(());
    }
    socket
        .send_to(&syslog_datagram(syslog, entry, &json, pid), SYSLOG_SOCKET)
        .map(drop)
        .map_err(|e| io::Error::new(e.kind(), format!("{SYSLOG_SOCKET}: {e}")))
}

/// Appends `entry` as one line to `path` (`stderr` for standard error).
///
/// # Errors
/// The I/O error, for the caller to report once; the file then holds no
/// part of the record.
pub fn write(path: &str, entry: &Entry<'_>) -> io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(io::Error::other)?;
    line.push(b'\n');
    if path == "stderr" {
        return io::stderr().write_all(&line);
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    append_record(&mut file, &line)
}

/// What [`append_record`] needs of a file: locking, its length, one write,
/// and cutting it back. A trait so that a short write can be tested.
pub trait RecordFile {
    /// Takes (`true`) or releases an exclusive advisory lock.
    ///
    /// # Errors
    /// The I/O error.
    fn lock(&mut self, exclusive: bool) -> io::Result<()>;
    /// The current length.
    ///
    /// # Errors
    /// The I/O error.
    fn length(&mut self) -> io::Result<u64>;
    /// One append; may write less than asked.
    ///
    /// # Errors
    /// The I/O error.
    fn append(&mut self, bytes: &[u8]) -> io::Result<usize>;
    /// Cuts the file to `len` bytes.
    ///
    /// # Errors
    /// The I/O error.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
}

impl RecordFile for File {
    fn lock(&mut self, exclusive: bool) -> io::Result<()> {
        let op = if exclusive {
            libc::LOCK_EX
        } else {
            libc::LOCK_UN
        };
        // SAFETY: flock on a descriptor this File owns.
        if unsafe { libc::flock(self.as_raw_fd(), op) } == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }
    fn length(&mut self) -> io::Result<u64> {
        self.metadata().map(|m| m.len())
    }
    fn append(&mut self, bytes: &[u8]) -> io::Result<usize> {
        Write::write(self, bytes)
    }
    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }
}

/// Appends `record` whole, or leaves the file as it was.
///
/// # Errors
/// The I/O error of the write (or of the lock, before anything is
/// written); a short write is [`io::ErrorKind::WriteZero`] unless the
/// write itself reported why.
pub fn append_record(file: &mut impl RecordFile, record: &[u8]) -> io::Result<()> {
    file.lock(true)?;
    let result = (|| {
        let start = file.length()?;
        match file.append(record) {
            Ok(n) if n == record.len() => Ok(()),
            outcome => {
                // A partial record must not stay behind: cut it off.
                file.truncate(start)?;
                match outcome {
                    Err(e) => Err(e),
                    Ok(n) => Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        format!("only {n} of {} bytes could be written", record.len()),
                    )),
                }
            }
        }
    })();
    let unlocked = file.lock(false);
    result.and(unlocked)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn times_are_rfc3339_utc() {
        assert_eq!(
            rfc3339(Duration::from_millis(0)),
            "1970-01-01T00:00:00.000Z"
        );
        assert_eq!(
            rfc3339(Duration::from_millis(951_782_400_250)),
            "2000-02-29T00:00:00.250Z"
        );
        assert_eq!(
            rfc3339(Duration::from_secs(1_795_609_599)),
            "2026-11-25T12:26:39.000Z"
        );
    }

    /// A file in memory whose disk fills after `room` more bytes.
    struct FullDisk {
        bytes: Vec<u8>,
        room: usize,
        locked: bool,
    }

    impl RecordFile for FullDisk {
        fn lock(&mut self, exclusive: bool) -> io::Result<()> {
            assert_ne!(self.locked, exclusive, "lock and unlock pair up");
            self.locked = exclusive;
            Ok(())
        }
        fn length(&mut self) -> io::Result<u64> {
            Ok(self.bytes.len() as u64)
        }
        fn append(&mut self, bytes: &[u8]) -> io::Result<usize> {
            assert!(self.locked, "writes happen under the lock");
            let n = bytes.len().min(self.room);
            if n == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            self.bytes.extend_from_slice(&bytes[..n]);
            self.room -= n;
            Ok(n)
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            self.bytes.truncate(usize::try_from(len).expect("small"));
            Ok(())
        }
    }

    #[test]
    fn a_record_is_whole_or_absent_when_the_disk_fills() {
        let mut f = FullDisk {
            bytes: b"{\"first\":1}\n".to_vec(),
            room: 20,
            locked: false,
        };
        append_record(&mut f, b"{\"fits\":2}\n").expect("fits");
        // 9 bytes of room left: the next record would be cut, so it is absent.
        let err = append_record(&mut f, b"{\"too long\":3}\n").expect_err("short write");
        assert_eq!(err.kind(), io::ErrorKind::WriteZero);
        // No room at all: the write's own error, and still nothing left behind.
        f.room = 0;
        let err = append_record(&mut f, b"{\"none\":4}\n").expect_err("full");
        assert_eq!(err.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(f.bytes, b"{\"first\":1}\n{\"fits\":2}\n");
        assert!(!f.locked);
        // Room again: the next record follows the last whole one.
        f.room = 100;
        append_record(&mut f, b"{\"after\":5}\n").expect("fits");
        assert_eq!(f.bytes, b"{\"first\":1}\n{\"fits\":2}\n{\"after\":5}\n");
    }

    fn sample() -> Entry<'static> {
        Entry {
            time: "2026-12-01T00:00:00.000Z".to_owned(),
            app_id: "shop",
            function: "fsockopen",
            library: None,
            target: "10.0.0.1:25",
            addresses: vec!["10.0.0.1".to_owned()],
            port: Some(25),
            transport: Some("tcp"),
            reason: "port-25",
            message: "port 25 is blocked".to_owned(),
            action: "deny",
            file: "/srv/a\nb.php",
            line: 7,
        }
    }

    #[test]
    fn facilities_by_name() {
        assert_eq!(facility("local3"), Some(libc::LOG_LOCAL3));
        assert_eq!(facility(" AUTHPRIV "), Some(libc::LOG_AUTHPRIV));
        assert_eq!(facility("user"), Some(8));
        assert_eq!(facility("local8"), None);
        assert_eq!(facility(""), None);
    }

    #[test]
    fn syslog_datagrams_carry_priority_ident_and_pid() {
        let s = Syslog {
            facility: libc::LOG_LOCAL0,
            ident: "shop-php".to_owned(),
        };
        let mut e = sample();
        // local0 (16) * 8 + warning (4)
        assert_eq!(
            syslog_datagram(&s, &e, b"{}", 42),
            b"<132>shop-php[42]: {}".to_vec()
        );
        e.action = "report";
        assert_eq!(
            syslog_datagram(&s, &e, b"{}", 42),
            b"<133>shop-php[42]: {}".to_vec()
        );
    }

    #[test]
    fn journal_datagrams_have_one_field_per_record_field() {
        let e = sample();
        let d = journal_datagram(&Syslog::default(), &e, b"{\"j\":1}", 9);
        let text = String::from_utf8_lossy(&d);
        for line in [
            "MESSAGE={\"j\":1}\n",
            "PRIORITY=4\n",
            "SYSLOG_FACILITY=1\n",
            "SYSLOG_IDENTIFIER=sockguard\n",
            "SYSLOG_PID=9\n",
            "SOCKGUARD_APP_ID=shop\n",
            "SOCKGUARD_REASON=port-25\n",
            "SOCKGUARD_PORT=25\n",
            "SOCKGUARD_ADDRESSES=10.0.0.1\n",
            "SOCKGUARD_ACTION=deny\n",
        ] {
            assert!(text.contains(line), "{line} in {text}");
        }
        // No library: no field.
        assert!(!text.contains("SOCKGUARD_LIBRARY"));
        // A value with a newline takes the binary form: name, length, value.
        let mut want = b"SOCKGUARD_FILE\n".to_vec();
        want.extend_from_slice(&12u64.to_le_bytes());
        want.extend_from_slice(b"/srv/a\nb.php\n");
        assert!(d.windows(want.len()).any(|w| w == want.as_slice()));
    }

    #[test]
    fn lines_are_json_with_every_field() {
        let dir = std::env::temp_dir().join(format!("sockguard-audit-{}", std::process::id()));
        let entry = Entry {
            time: now(),
            app_id: "shop",
            function: "fsockopen",
            library: None,
            target: "10.0.0.1:80",
            addresses: addresses_of(&Reason::Port25),
            port: Some(80),
            transport: Some("tcp"),
            reason: "port-25",
            message: "port 25 is blocked".to_owned(),
            action: "deny",
            file: "/srv/app.php",
            line: 7,
        };
        write(dir.to_str().expect("utf-8 path"), &entry).expect("write");
        write(dir.to_str().expect("utf-8 path"), &entry).expect("write");
        let text = std::fs::read_to_string(&dir).expect("read");
        std::fs::remove_file(&dir).ok();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("json"))
            .collect();
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0]["app_id"], "shop");
        assert_eq!(lines[0]["reason"], "port-25");
        assert_eq!(lines[0]["line"], 7);
    }
}
