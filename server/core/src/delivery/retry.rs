//! When the next try of a failed delivery happens. One place decides it; the worker asks.

use std::time::Duration;

/// The default schedule after the first try: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
pub const DEFAULT_SCHEDULE_SECS: [u64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];

/// After a timeout or a 429, never try again sooner than this.
pub const MIN_DELAY_AFTER_BACKPRESSURE: Duration = Duration::from_secs(60);

/// A Retry-After longer than this is capped (a misbehaving handler cannot park a delivery).
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// How an attempt ended, as far as scheduling cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 2xx.
    Success,
    /// 410: the handler is gone for good.
    Gone,
    /// 429 or 503, with the server's Retry-After if it sent one.
    Backpressure {
        retry_after: Option<Duration>,
        status: u16,
    },
    /// The handler did not answer within the timeout.
    Timeout,
    /// Anything else that failed: connect errors, 3xx, 4xx, 5xx, blocked addresses.
    Failure,
}

/// What happens to the delivery after an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Succeeded,
    /// Try again after this delay.
    RetryIn(Duration),
    /// Attempts exhausted.
    Failed,
    /// The endpoint answered 410: disable it.
    DisableEndpoint,
}

/// Decides the next step after attempt number `attempts_made` (1 = the first try) ended with
/// `outcome`. `jitter` is a number in [0, 1) from the caller (tests pass fixed values):
/// 0.5 means no jitter, 0 and 1 the ±20 % edges.
pub fn next_step(attempts_made: u32, outcome: Outcome, schedule_secs: &[u64], jitter: f64) -> Next {
    let retry_after = match outcome {
        Outcome::Success => return Next::Succeeded,
        Outcome::Gone => return Next::DisableEndpoint,
        Outcome::Backpressure { retry_after, .. } => retry_after,
        Outcome::Timeout | Outcome::Failure => None,
    };
    let Some(base) = schedule_secs.get(attempts_made.saturating_sub(1) as usize) else {
        return Next::Failed;
    };
    let factor = 0.8 + 0.4 * jitter.clamp(0.0, 1.0);
    let mut delay = Duration::from_secs_f64(*base as f64 * factor);
    if matches!(outcome, Outcome::Timeout | Outcome::Backpressure { .. }) {
        delay = delay.max(MIN_DELAY_AFTER_BACKPRESSURE);
    }
    if let Some(asked) = retry_after {
        delay = delay.max(asked.min(MAX_RETRY_AFTER));
    }
    Next::RetryIn(delay)
}

/// Parses a `Retry-After` value: delay-seconds, or an HTTP date relative to `now_secs`.
pub fn parse_retry_after(value: &str, now_secs: i64) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate_secs(value)?;
    Some(Duration::from_secs(
        u64::try_from(at - now_secs).unwrap_or(0),
    ))
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`) to seconds since the epoch.
fn httpdate_secs(value: &str) -> Option<i64> {
    let parts: Vec<&str> = value.split_whitespace().collect();
    let [_, day, month, year, time, "GMT"] = parts.as_slice() else {
        return None;
    };
    let month = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    .iter()
    .position(|m| m == month)? as i64
        + 1;
    let (day, year): (i64, i64) = (day.parse().ok()?, year.parse().ok()?);
    let hms: Vec<i64> = time
        .split(':')
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    let [h, m, s] = hms.as_slice() else {
        return None;
    };
    // Days from civil (H. Hinnant), the inverse of time::civil_from_days.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + m * 60 + s)
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: &[u64] = &DEFAULT_SCHEDULE_SECS;

    #[test]
    fn follows_the_default_schedule_then_fails() {
        let expected = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
        for (i, secs) in expected.iter().enumerate() {
            assert_eq!(
                next_step(i as u32 + 1, Outcome::Failure, S, 0.5),
                Next::RetryIn(Duration::from_secs(*secs)),
                "after attempt {}",
                i + 1
            );
        }
        assert_eq!(next_step(8, Outcome::Failure, S, 0.5), Next::Failed);
        assert_eq!(next_step(3, Outcome::Success, S, 0.5), Next::Succeeded);
        assert_eq!(next_step(1, Outcome::Gone, S, 0.5), Next::DisableEndpoint);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        let at = |j| match next_step(2, Outcome::Failure, S, j) {
            Next::RetryIn(d) => d.as_secs_f64(),
            other => panic!("{other:?}"),
        };
        assert_eq!(at(0.0), 240.0);
        assert_eq!(at(1.0), 360.0);
        for j in [0.1, 0.3, 0.7, 0.99] {
            assert!((240.0..=360.0).contains(&at(j)));
        }
    }

    #[test]
    fn timeouts_and_429_wait_at_least_a_minute_and_retry_after_is_honoured() {
        assert_eq!(
            next_step(1, Outcome::Timeout, S, 0.5),
            Next::RetryIn(Duration::from_secs(60))
        );
        let bp = |retry_after| Outcome::Backpressure {
            retry_after,
            status: 429,
        };
        assert_eq!(
            next_step(1, bp(None), S, 0.5),
            Next::RetryIn(Duration::from_secs(60))
        );
        assert_eq!(
            next_step(1, bp(Some(Duration::from_secs(900))), S, 0.5),
            Next::RetryIn(Duration::from_secs(900))
        );
        // A short Retry-After does not pull a later scheduled retry earlier.
        assert_eq!(
            next_step(3, bp(Some(Duration::from_secs(10))), S, 0.5),
            Next::RetryIn(Duration::from_secs(1800))
        );
        assert_eq!(
            next_step(1, bp(Some(Duration::from_secs(10 * 86_400))), S, 0.5),
            Next::RetryIn(MAX_RETRY_AFTER)
        );
        // Plain failures are not held to the minute.
        assert_eq!(
            next_step(1, Outcome::Failure, S, 0.5),
            Next::RetryIn(Duration::from_secs(5))
        );
    }

    #[test]
    fn retry_after_as_seconds_or_http_date() {
        assert_eq!(parse_retry_after("120", 0), Some(Duration::from_secs(120)));
        // 1994-11-06 08:49:37 UTC = 784111777.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_700),
            Some(Duration::from_secs(77))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", 784_111_800),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", 0), None);
        assert_eq!(parse_retry_after("-5", 0), None);
    }

    #[test]
    fn a_custom_schedule_is_used_as_given() {
        assert_eq!(
            next_step(1, Outcome::Failure, &[1, 2], 0.5),
            Next::RetryIn(Duration::from_secs(1))
        );
        assert_eq!(next_step(3, Outcome::Failure, &[1, 2], 0.5), Next::Failed);
        assert_eq!(next_step(1, Outcome::Failure, &[], 0.5), Next::Failed);
    }
}
