//! Amounts in a currency's minor unit (as providers send them), shown in major units.

/// Currencies whose minor unit is the major unit (Stripe's list).
pub const ZERO_DECIMAL: &[&str] = &[
    "bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga", "pyg", "rwf", "ugx", "vnd", "vuv",
    "xaf", "xof", "xpf",
];
/// Currencies with three decimals.
pub const THREE_DECIMAL: &[&str] = &["bhd", "jod", "kwd", "omr", "tnd"];

/// How many decimals `currency` (ISO 4217, any case) has.
pub fn decimals(currency: &str) -> u32 {
    let c = currency.to_ascii_lowercase();
    if ZERO_DECIMAL.contains(&c.as_str()) {
        0
    } else if THREE_DECIMAL.contains(&c.as_str()) {
        3
    } else {
        2
    }
}

/// `2000, "usd"` -> `20.00 USD`; `1500, "jpy"` -> `1,500 JPY`. Integer arithmetic only.
pub fn format_minor(amount: i64, currency: &str) -> String {
    let d = decimals(currency);
    let unit = 10_i64.pow(d);
    let (sign, abs) = if amount < 0 {
        ("-", amount.unsigned_abs())
    } else {
        ("", amount as u64)
    };
    let major = abs / unit as u64;
    let minor = abs % unit as u64;
    let grouped = group_thousands(major);
    let code = currency.to_ascii_uppercase();
    if d == 0 {
        format!("{sign}{grouped} {code}")
    } else {
        format!("{sign}{grouped}.{minor:0width$} {code}", width = d as usize)
    }
}

/// 1234567 -> "1,234,567".
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_currency_exponent() {
        assert_eq!(format_minor(2000, "usd"), "20.00 USD");
        assert_eq!(format_minor(5, "eur"), "0.05 EUR");
        assert_eq!(format_minor(1500, "JPY"), "1,500 JPY");
        assert_eq!(format_minor(123_456_789, "usd"), "1,234,567.89 USD");
        assert_eq!(format_minor(1234, "kwd"), "1.234 KWD");
        assert_eq!(format_minor(-250, "gbp"), "-2.50 GBP");
    }
}
