use chrono::NaiveDate;

use super::*;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn a_period_is_days_or_whole_months_and_refuses_nonsense() {
    let p = Period::parse("2025-02", "2025-03").unwrap();
    assert_eq!((p.from, p.to), (day("2025-02-01"), day("2025-03-31")));
    let p = Period::parse("2024-02-10", "2024-02").unwrap();
    assert_eq!(p.to, day("2024-02-29"), "a leap February");
    for (from, to) in [
        ("2025-03-01", "2025-02-28"),
        ("2025-13", "2025-12"),
        ("2025-02-30", "2025-03-01"),
        ("", "2025-01"),
        ("2020-01-01", "2024-01-01"),
        ("'; DROP TABLE opinion; --", "2025-01"),
        ("1999-12", "2000-01"),
        ("２０２５-01", "2025-02"),
    ] {
        assert!(Period::parse(from, to).is_err(), "{from} – {to}");
    }
}

#[test]
fn a_period_starts_and_ends_at_china_midnight_and_splits_into_months() {
    let p = Period::parse("2025-01-15", "2025-03-10").unwrap();
    assert_eq!(p.start().to_rfc3339(), "2025-01-14T16:00:00+00:00");
    assert_eq!(p.end().to_rfc3339(), "2025-03-10T16:00:00+00:00");
    let months: Vec<(String, String, String)> = p
        .months()
        .into_iter()
        .map(|(m, a, b)| (m, a.to_rfc3339(), b.to_rfc3339()))
        .collect();
    assert_eq!(
        months,
        vec![
            (
                "2025-01".into(),
                "2025-01-14T16:00:00+00:00".into(),
                "2025-01-31T16:00:00+00:00".into()
            ),
            (
                "2025-02".into(),
                "2025-01-31T16:00:00+00:00".into(),
                "2025-02-28T16:00:00+00:00".into()
            ),
            (
                "2025-03".into(),
                "2025-02-28T16:00:00+00:00".into(),
                "2025-03-10T16:00:00+00:00".into()
            ),
        ]
    );
    let dec = Period::parse("2025-12", "2026-01").unwrap().months();
    assert_eq!(
        dec.iter().map(|m| m.0.as_str()).collect::<Vec<_>>(),
        ["2025-12", "2026-01"]
    );
}

#[test]
fn medians_and_shares() {
    assert_eq!(median(vec![]), None);
    assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(vec![4.0, 1.0, 2.0, 10.0]), Some(3.0));
    let f = Figures {
        ratings: [1, 1, 0, 1, 2],
        tasks: 3,
        tasks_done: 2,
        ..Figures::default()
    };
    assert_eq!(f.rating_count(), 5);
    // (1 + 2 + 4 + 5 + 5) / 5
    assert_eq!(f.rating_average(), Some(3.4));
    assert_eq!(f.dissatisfied_pct(), Some(40.0));
    assert_eq!(f.task_completion_pct(), Some(66.7));
    assert_eq!(Figures::default().rating_average(), None);
    assert_eq!(Figures::default().sla_compliance_pct(), None);
}

#[test]
fn cells_that_look_like_formulas_are_written_as_text() {
    for bad in ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1"] {
        assert!(export::neutralise(bad).starts_with('\''), "{bad:?}");
    }
    for fine in ["小河社区", "12345 热线", "a=b"] {
        assert_eq!(export::neutralise(fine), fine);
    }
}
