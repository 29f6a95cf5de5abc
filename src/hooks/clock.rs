//! The idle clock: milliseconds on a monotonic clock, as every read and
//! write of a tracked socket sees them.
//!
//! CLOCK_MONOTONIC_COARSE through the vDSO is a few nanoseconds in a tight
//! loop, yet reading it on every read of a transfer cost about 3% of
//! loopback throughput here: after each recv() its code and data pages are
//! cold again, and on a virtual machine those misses are dear. The
//! processor's time-stamp counter costs one instruction and touches no
//! memory, so where the kernel itself keeps time with it (clocksource
//! "tsc": invariant and synchronised across CPUs) it is scaled to
//! milliseconds instead. The scale is measured against the clock, over at
//! least 50 ms, by the calls that read the clock anyway; until then, and
//! wherever the counter is not trusted, the clock is read as before. New
//! tracked sockets compare the two (at most once a second), and a counter
//! that strays (a migrated VM, say) is measured again.
//!
//! A process thread that stores the time would cost more than it saves: a
//! second thread makes the kernel take a reference on the file of every
//! descriptor syscall, which measured worse than the clock itself.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};

use crate::registry::Millis;

/// Measure the scale over at least this long, against CLOCK_MONOTONIC read
/// next to the counter (good to a fraction of a microsecond): the scale is
/// then good to a few parts per million, a few ms an hour, and short
/// scripts get it too.
const CALIBRATION_MS: Millis = 50;
/// A counter more than this far from the clock is measured again.
const MAX_DRIFT_MS: Millis = 100;

/// Whether the counter can be used: unknown, yes, no.
static TRUSTED: AtomicU8 = AtomicU8::new(UNKNOWN);
const UNKNOWN: u8 = 0;
const YES: u8 = 1;
const NO: u8 = 2;

/// The first sample of a calibration: counter, CLOCK_MONOTONIC in ns.
static BASE_TSC: AtomicU64 = AtomicU64::new(0);
static BASE_NS: AtomicU64 = AtomicU64::new(0);
/// `BASE_NS` in milliseconds, which every reading of the counter adds.
static BASE_MS: AtomicU64 = AtomicU64::new(0);
/// Milliseconds per counter tick as a 0.64 fixed-point fraction; 0 while
/// not calibrated.
static MS_PER_TICK: AtomicU64 = AtomicU64::new(0);

/// Reads a clock, in nanoseconds.
fn clock_ns(clock: libc::clockid_t) -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec.
    unsafe { libc::clock_gettime(clock, &mut ts) };
    u64::try_from(ts.tv_sec).unwrap_or(0) * 1_000_000_000 + u64::try_from(ts.tv_nsec).unwrap_or(0)
}

/// Reads CLOCK_MONOTONIC_COARSE: good to a few milliseconds.
pub fn read_clock() -> Millis {
    clock_ns(libc::CLOCK_MONOTONIC_COARSE) / 1_000_000
}

/// CLOCK_MONOTONIC in nanoseconds, for calibration only.
fn read_precise_ns() -> u64 {
    clock_ns(libc::CLOCK_MONOTONIC)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn read_tsc() -> u64 {
    // SAFETY: RDTSC has no preconditions on x86_64.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn read_tsc() -> u64 {
    0
}

/// The counter scaled to clock milliseconds, if it is calibrated.
#[inline]
fn tsc_millis() -> Option<Millis> {
    let scale = MS_PER_TICK.load(Ordering::Relaxed);
    if scale == 0 {
        return None;
    }
    let ticks = read_tsc().saturating_sub(BASE_TSC.load(Ordering::Relaxed));
    Some(BASE_MS.load(Ordering::Relaxed) + scale_ticks(ticks, scale))
}

/// `ticks` times a 0.64 fixed-point scale.
#[inline]
fn scale_ticks(ticks: u64, scale: u64) -> Millis {
    // The product of two u64 fits a u128; shifted by 64 it fits a u64.
    ((u128::from(ticks) * u128::from(scale)) >> 64) as u64
}

/// The 0.64 scale (ms per tick) for `ticks` in `ns`; `None` unless the
/// counter runs faster than a tick per millisecond.
fn scale_for(ticks: u64, ns: u64) -> Option<u64> {
    let ticks_ns = u128::from(ticks) * 1_000_000;
    if ticks_ns == 0 {
        return None;
    }
    let scale = (u128::from(ns) << 64) / ticks_ns;
    u64::try_from(scale).ok().filter(|s| *s > 0)
}

/// Now, for the idle check: the scaled counter once calibrated, else the
/// clock (which also feeds the calibration).
#[inline]
pub fn now_millis() -> Millis {
    match tsc_millis() {
        Some(now) => now,
        None => clock_and_calibrate(),
    }
}

/// Reads the clock and, where the counter is trusted, takes a calibration
/// sample from it.
#[cold]
fn clock_and_calibrate() -> Millis {
    let now = read_clock();
    if trusted() && calibration_due(now) {
        sample(now);
    }
    now
}

/// Whether a calibration step would do anything at coarse time `now`.
fn calibration_due(now: Millis) -> bool {
    let base_ns = BASE_NS.load(Ordering::Relaxed);
    base_ns == 0 || now.saturating_sub(base_ns / 1_000_000) >= CALIBRATION_MS
}

/// A calibration step at coarse time `now`: the first becomes the base (a
/// precise sample); one at least CALIBRATION_MS later sets the scale.
fn sample(now: Millis) {
    let base_ns = BASE_NS.load(Ordering::Relaxed);
    let (tsc, ns) = (read_tsc(), read_precise_ns());
    if base_ns == 0 || tsc < BASE_TSC.load(Ordering::Relaxed) || ns < base_ns {
        BASE_TSC.store(tsc, Ordering::Relaxed);
        BASE_NS.store(ns.max(1), Ordering::Relaxed);
        BASE_MS.store(ns / 1_000_000, Ordering::Relaxed);
        return;
    }
    if now.saturating_sub(base_ns / 1_000_000) >= CALIBRATION_MS {
        let ticks = tsc - BASE_TSC.load(Ordering::Relaxed);
        if let Some(scale) = scale_for(ticks, ns - base_ns) {
            MS_PER_TICK.store(scale, Ordering::Relaxed);
        }
    }
}

/// The counter's time of the last comparison with the clock.
static CHECKED_AT: AtomicU64 = AtomicU64::new(0);
/// How often the counter is compared with the clock, at most.
const CHECK_EVERY_MS: Millis = 1000;

/// Now, for a socket that starts being tracked: [`now_millis`], with the
/// counter compared against the clock at most once a second (and the
/// clock calibrating it while it is not).
#[inline]
pub fn checked_now() -> Millis {
    if let Some(counted) = tsc_millis() {
        // (A counter that jumped back more than that is checked at once.)
        if counted.abs_diff(CHECKED_AT.load(Ordering::Relaxed)) < CHECK_EVERY_MS {
            return counted;
        }
    }
    check();
    now_millis()
}

/// Compares the counter with the clock (and calibrates while it is not).
#[cold]
fn check() {
    if !trusted() {
        return;
    }
    let now = read_clock();
    if let Some(counted) = tsc_millis() {
        if counted.abs_diff(now) <= MAX_DRIFT_MS {
            CHECKED_AT.store(counted, Ordering::Relaxed);
            return;
        }
        CHECKED_AT.store(0, Ordering::Relaxed);
        // Strayed: start over from a new base.
        MS_PER_TICK.store(0, Ordering::Relaxed);
        BASE_NS.store(0, Ordering::Relaxed);
        BASE_MS.store(0, Ordering::Relaxed);
    }
    if calibration_due(now) {
        sample(now);
    }
}

/// Whether the counter is used now (for phpinfo()).
pub fn describe() -> &'static str {
    if MS_PER_TICK.load(Ordering::Relaxed) != 0 {
        "TSC, scaled to CLOCK_MONOTONIC_COARSE"
    } else if trusted() {
        "CLOCK_MONOTONIC_COARSE (TSC not yet calibrated)"
    } else {
        "CLOCK_MONOTONIC_COARSE"
    }
}

/// Whether the kernel keeps time with the counter, which it does only when
/// the counter is invariant and synchronised across CPUs.
fn trusted() -> bool {
    match TRUSTED.load(Ordering::Relaxed) {
        YES => true,
        NO => false,
        _ => {
            let yes = cfg!(target_arch = "x86_64")
                && std::fs::read_to_string(
                    "/sys/devices/system/clocksource/clocksource0/current_clocksource",
                )
                .is_ok_and(|s| s.trim() == "tsc");
            TRUSTED.store(if yes { YES } else { NO }, Ordering::Relaxed);
            yes
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_turns_ticks_into_milliseconds() {
        // A 2.5 GHz counter measured over one second.
        let scale = scale_for(2_500_000_000, 1_000_000_000).expect("a scale");
        assert_eq!(scale_ticks(2_500_000 - 1, scale), 0);
        assert_eq!(scale_ticks(2_500_000 * 2 + 1, scale), 2);
        // An hour of ticks stays within a millisecond.
        let hour = 2_500_000u64 * 3_600_000;
        assert!(scale_ticks(hour, scale).abs_diff(3_600_000) <= 1);
        // A year at 5 GHz does not overflow.
        let fast = scale_for(5_000_000_000, 1_000_000_000).expect("a scale");
        let year_ms = 365 * 86_400_000u64;
        assert!(scale_ticks(5_000_000 * year_ms, fast).abs_diff(year_ms) <= 1);
    }

    #[test]
    fn no_scale_from_nothing_or_from_a_slow_counter() {
        assert_eq!(scale_for(0, 1_000_000_000), None);
        // 500 ticks in a second: slower than one per millisecond.
        assert_eq!(scale_for(500, 1_000_000_000), None);
    }
}
