//! The audit log (`sockguard.audit_log`): one JSON line per denial, and per
//! would-be denial in report mode. Each line is written with a single
//! write(2) on a file opened with O_APPEND, so lines from concurrent php-fpm
//! workers never interleave; nothing is buffered.

use std::{
    io::Write,
    net::IpAddr,
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

/// Appends `entry` as one line to `path` (`stderr` for standard error).
///
/// # Errors
/// The I/O error, for the caller to report once.
pub fn write(path: &str, entry: &Entry<'_>) -> std::io::Result<()> {
    let mut line = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
    line.push(b'\n');
    if path == "stderr" {
        return std::io::stderr().write_all(&line);
    }
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)?;
    // One write of the whole line: O_APPEND makes it atomic against other
    // writers for regular files.
    file.write_all(&line)
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

    #[test]
    fn lines_are_json_with_every_field() {
        let dir = std::env::temp_dir().join(format!("sockguard-audit-{}", std::process::id()));
        let entry = Entry {
            time: now(),
            app_id: "shop",
            function: "fsockopen",
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
