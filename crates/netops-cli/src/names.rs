//! The one spelling of column names: snake_case (`client_ip`,
//! `total_capacity_gb`), in table headers, CSV headers and JSON keys alike.

/// Whether `name` is snake_case: ASCII lowercase letters and digits in
/// words joined by single underscores (`ts`, `client_ip`, `cert_not_after`,
/// `total_capacity_gb`); no leading, trailing or doubled underscore.
///
/// ```
/// assert!(netops_cli::is_snake_case("client_ip"));
/// assert!(!netops_cli::is_snake_case("Total Capacity (GB)"));
/// assert!(!netops_cli::is_snake_case("HOST"));
/// ```
pub fn is_snake_case(name: &str) -> bool {
    !name.is_empty()
        && name.split('_').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// `name` in snake_case: words split at spaces and punctuation and where
/// the case changes (`TotalCapacity`, `HTTPServer`), lowercased, joined by
/// `_`. Names already in snake_case come back unchanged.
///
/// ```
/// use netops_cli::snake_case;
/// assert_eq!(snake_case("Total Capacity (GB)"), "total_capacity_gb");
/// assert_eq!(snake_case("TotalCapacity"), "total_capacity");
/// assert_eq!(snake_case("IP_ADDRESS"), "ip_address");
/// assert_eq!(snake_case("HTTPServer"), "http_server");
/// assert_eq!(snake_case("client_ip"), "client_ip");
/// ```
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    let mut sep = false;
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            sep = !out.is_empty();
            continue;
        }
        if c.is_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_lowercase());
            if prev.is_lowercase() || prev.is_ascii_digit() || (prev.is_uppercase() && next_lower) {
                sep = !out.is_empty();
            }
        }
        if sep {
            out.push('_');
            sep = false;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn examples() {
        for (raw, want) in [
            ("Device", "device"),
            ("Rot File Name", "rot_file_name"),
            ("User Size Limit (GB)", "user_size_limit_gb"),
            ("Vision Retention Time", "vision_retention_time"),
            ("SENSOR TYPE", "sensor_type"),
            ("sensorNumber", "sensor_number"),
            ("ipv6Addr", "ipv6_addr"),
            ("__x__y__", "x_y"),
            ("ts", "ts"),
        ] {
            assert_eq!(snake_case(raw), want, "{raw}");
            assert!(is_snake_case(want), "{want}");
        }
        for bad in ["", "_a", "a_", "a__b", "A", "a-b", "a b", "é"] {
            assert!(!is_snake_case(bad), "{bad:?}");
        }
    }

    proptest! {
        /// Whatever comes in, what comes out is snake_case (or empty, for a
        /// name with no letter or digit), and converting again changes nothing.
        #[test]
        fn output_is_snake_case_and_stable(name in "[ -~]{0,24}") {
            let s = snake_case(&name);
            prop_assert!(s.is_empty() || is_snake_case(&s), "{name:?} -> {s:?}");
            prop_assert_eq!(snake_case(&s), s.clone());
        }
    }
}
