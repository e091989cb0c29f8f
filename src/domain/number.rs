//! Numbers for people: a metric value or a verification reading as a person writes it
//! (`0.00182`, `0.301`, `1.25`, `420`), never the 17 digits a float prints as.

/// `v` with about three significant digits, trailing zeros dropped.
pub fn human_number(v: f64) -> String {
    if !v.is_finite() {
        return v.to_string();
    }
    let a = v.abs();
    let decimals = if a == a.trunc() || a >= 100.0 {
        0
    } else if a >= 1.0 {
        2
    } else {
        // Three significant digits below one: 0.301, 0.0182, 0.00182.
        ((-a.log10()).ceil() as usize + 2).min(12)
    };
    let text = format!("{v:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    };
    if text == "-0" { "0".into() } else { text }
}

/// `text` with every long decimal (five digits or more after the point, as a float printed
/// in full has) rounded by [`human_number`]; everything else, short numbers included, as is.
pub fn humanize_numbers(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        let starts = bytes[i].is_ascii_digit()
            && (i == 0 || !(is_word(bytes[i - 1]) || bytes[i - 1] == b'.'));
        if !starts {
            i += 1;
            continue;
        }
        let int_end = i + bytes[i..].iter().take_while(|b| b.is_ascii_digit()).count();
        let frac = if bytes.get(int_end) == Some(&b'.') {
            bytes[int_end + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count()
        } else {
            0
        };
        let end = if frac > 0 {
            int_end + 1 + frac
        } else {
            int_end
        };
        let whole = bytes.get(end).is_none_or(|b| !is_word(*b) && *b != b'.');
        if frac >= 5
            && whole
            && let Ok(v) = text[i..end].parse::<f64>()
        {
            out.push_str(&text[copied..i]);
            out.push_str(&human_number(v));
            copied = end;
        }
        i = end.max(i + 1);
    }
    out.push_str(&text[copied..]);
    out
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_keep_about_three_significant_digits() {
        for (v, want) in [
            (0.0018174245924825177, "0.00182"),
            (0.30123, "0.301"),
            (0.02, "0.02"),
            (1.0, "1"),
            (1.256, "1.26"),
            (420.4, "420"),
            (0.0, "0"),
            (-0.5, "-0.5"),
            (12.5, "12.5"),
        ] {
            assert_eq!(human_number(v), want, "{v}");
        }
    }

    #[test]
    fn only_long_decimals_in_text_are_rounded() {
        assert_eq!(
            humanize_numbers(
                "service:http_errors:ratio_rate1m{service=\"checkout\"} = 0.0018174245924825177, < 0.02 as wanted, after 5s"
            ),
            "service:http_errors:ratio_rate1m{service=\"checkout\"} = 0.00182, < 0.02 as wanted, after 5s"
        );
        assert_eq!(
            humanize_numbers("v2.31 at 10.0.0.12345"),
            "v2.31 at 10.0.0.12345"
        );
        assert_eq!(humanize_numbers("x1.234567 1.234567"), "x1.234567 1.23");
        assert_eq!(humanize_numbers("0.123456, 0.5"), "0.123, 0.5");
    }
}
