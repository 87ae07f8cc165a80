//! Times as people read them, with the exact UTC instant on hover.

use leptos::prelude::*;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `Nov 23, 14:05:09`: short, and the same on the server and in the browser (no "ago" text
/// that would differ between render and hydration).
pub fn short_utc(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (_, m, d) = hookyard_core::time::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{} {d}, {:02}:{:02}:{:02}",
        MONTHS[(m as usize).saturating_sub(1) % 12],
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// A `<time>` element: short text, full UTC in the tooltip.
#[component]
pub fn Time(ms: i64) -> impl IntoView {
    let full = hookyard_core::time::format_utc(ms);
    view! {
        <time datetime=full.clone() title=full>{short_utc(ms)}</time>
    }
}

/// A duration in ms as `850 ms`, `4.2 s`, `3 min`, `5 h`.
pub fn human_duration(ms: i64) -> String {
    let ms = ms.max(0);
    match ms {
        0..=999 => format!("{ms} ms"),
        1_000..=59_999 => format!("{:.1} s", ms as f64 / 1000.0),
        60_000..=3_599_999 => format!("{} min", ms / 60_000),
        _ => format!("{:.1} h", ms as f64 / 3_600_000.0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(short_utc(1_795_481_990_408), "Nov 24, 00:59:50");
        assert_eq!(human_duration(850), "850 ms");
        assert_eq!(human_duration(4200), "4.2 s");
        assert_eq!(human_duration(180_000), "3 min");
        assert_eq!(human_duration(5 * 3_600_000), "5.0 h");
    }
}
