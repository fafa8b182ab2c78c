//! Turning the predicates DataFusion offers a scan into a [`ScanFilter`]:
//! time ranges on the time column and address sets on the address
//! columns. Everything else is left to the engine.

use std::net::IpAddr;

use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;

use crate::spec::{ScanFilter, TableKind};

/// The column whose range can be pushed down, if any.
fn time_column(kind: TableKind) -> Option<&'static str> {
    match kind {
        TableKind::Tls => Some(crate::tls::TIME_COLUMN),
        TableKind::Http => Some(crate::http::TIME_COLUMN),
        // A flow's first/last time needs all of its packets.
        TableKind::Flows => None,
    }
}

fn address_columns(kind: TableKind) -> &'static [&'static str] {
    match kind {
        TableKind::Tls => &crate::tls::ADDRESS_COLUMNS,
        TableKind::Http => &crate::http::ADDRESS_COLUMNS,
        TableKind::Flows => &crate::flows::ADDRESS_COLUMNS,
    }
}

fn column_name(e: &Expr) -> Option<&str> {
    match e {
        Expr::Column(c) => Some(c.name.as_str()),
        _ => None,
    }
}

fn timestamp_ns(e: &Expr) -> Option<i64> {
    let Expr::Literal(v, _) = e else { return None };
    match v {
        ScalarValue::TimestampNanosecond(Some(t), _) => Some(*t),
        ScalarValue::TimestampMicrosecond(Some(t), _) => t.checked_mul(1_000),
        ScalarValue::TimestampMillisecond(Some(t), _) => t.checked_mul(1_000_000),
        ScalarValue::TimestampSecond(Some(t), _) => t.checked_mul(1_000_000_000),
        _ => None,
    }
}

fn address(e: &Expr) -> Option<IpAddr> {
    let Expr::Literal(v, _) = e else { return None };
    match v {
        ScalarValue::Utf8(Some(s))
        | ScalarValue::Utf8View(Some(s))
        | ScalarValue::LargeUtf8(Some(s)) => s.parse().ok(),
        _ => None,
    }
}

/// A time bound: `(min, max)` in ns.
type Range = (Option<i64>, Option<i64>);

fn time_range(kind: TableKind, e: &Expr) -> Option<Range> {
    let col = time_column(kind)?;
    match e {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let (op, t) = if column_name(left) == Some(col) {
                (*op, timestamp_ns(right)?)
            } else if column_name(right) == Some(col) {
                (op.swap()?, timestamp_ns(left)?)
            } else {
                return None;
            };
            match op {
                Operator::Eq => Some((Some(t), Some(t))),
                Operator::Gt | Operator::GtEq => Some((Some(t), None)),
                Operator::Lt | Operator::LtEq => Some((None, Some(t))),
                _ => None,
            }
        }
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if column_name(expr) == Some(col) => {
            Some((Some(timestamp_ns(low)?), Some(timestamp_ns(high)?)))
        }
        _ => None,
    }
}

/// The addresses a row must involve for `e` to hold.
fn address_set(kind: TableKind, e: &Expr) -> Option<Vec<IpAddr>> {
    let cols = address_columns(kind);
    let is_addr_col = |x: &Expr| column_name(x).is_some_and(|n| cols.contains(&n));
    match e {
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Eq,
            right,
        }) => {
            if is_addr_col(left) {
                Some(vec![address(right)?])
            } else if is_addr_col(right) {
                Some(vec![address(left)?])
            } else {
                None
            }
        }
        Expr::BinaryExpr(BinaryExpr {
            left,
            op: Operator::Or,
            right,
        }) => {
            let mut a = address_set(kind, left)?;
            a.extend(address_set(kind, right)?);
            Some(a)
        }
        Expr::InList(il) if !il.negated && is_addr_col(&il.expr) => {
            il.list.iter().map(address).collect()
        }
        _ => None,
    }
}

/// Whether the scan of `kind` can use `e` to skip frames.
pub fn pushable(kind: TableKind, e: &Expr) -> bool {
    time_range(kind, e).is_some() || address_set(kind, e).is_some()
}

/// The filter the conjunction of `filters` gives the scan of `kind`.
pub fn extract(kind: TableKind, filters: &[Expr]) -> ScanFilter {
    let mut f = ScanFilter::default();
    for e in filters {
        if let Some((lo, hi)) = time_range(kind, e) {
            if let Some(lo) = lo {
                f.time_min_ns = Some(f.time_min_ns.map_or(lo, |m| m.max(lo)));
            }
            if let Some(hi) = hi {
                f.time_max_ns = Some(f.time_max_ns.map_or(hi, |m| m.min(hi)));
            }
        } else if let Some(set) = address_set(kind, e) {
            f.addresses.push(set);
        }
    }
    f
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::prelude::{col, lit};

    fn ts(v: i64) -> Expr {
        Expr::Literal(
            ScalarValue::TimestampNanosecond(Some(v), Some("UTC".into())),
            None,
        )
    }

    #[test]
    fn time_and_address_predicates_are_recognised() {
        let f = extract(
            TableKind::Tls,
            &[
                col("first_seen").gt_eq(ts(10)),
                ts(50).gt(col("first_seen")),
                col("client_ip")
                    .eq(lit("10.0.0.1"))
                    .or(col("server_ip").eq(lit("10.0.0.2"))),
                col("server_ip").in_list(vec![lit("192.0.2.1")], false),
                col("sni").eq(lit("x")),
            ],
        );
        assert_eq!(f.time_min_ns, Some(10));
        assert_eq!(f.time_max_ns, Some(50));
        assert_eq!(f.addresses.len(), 2);
        assert!(f.addresses_match("10.0.0.2".parse().unwrap(), "192.0.2.1".parse().unwrap()));
        assert!(!f.addresses_match("10.0.0.1".parse().unwrap(), "192.0.2.9".parse().unwrap()));
        assert!(!pushable(TableKind::Tls, &col("sni").eq(lit("x"))));
        assert!(!pushable(TableKind::Flows, &col("first_seen").gt(ts(1))));
        assert!(pushable(TableKind::Flows, &col("client_ip").eq(lit("::1"))));
        // Not an address: the engine filters, the scan does not.
        assert!(!pushable(TableKind::Tls, &col("client_ip").eq(lit("nope"))));
    }
}
