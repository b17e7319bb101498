//! The SLA engine on real databases (a SQLite file, and PostgreSQL when
//! `TEST_DATABASE_URL` is set): escalation exactly once after downtime
//! and across a restart, concurrent sweeps, pause and resume, calendar
//! edits re-deriving due times, and the admin's policy checks.
use chrono::{DateTime, Duration, TimeZone, Utc};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use super::entities::{sla_case, sla_event, sla_policy};
use super::*;
use crate::entities::{account, outbox};
use crate::testdb;

fn at(s: &str) -> DateTime<Utc> {
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    calendar::china()
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

async fn open(
    s: &Services,
    subject: &str,
    policy: &'static str,
    due: Option<DateTime<Utc>>,
    when: DateTime<Utc>,
) -> i64 {
    let staff = testdb::principal(s, "13800000002").await;
    let cal = calendar(s).await.unwrap();
    let (_g, txn) = s.begin_write().await.unwrap();
    let id = open_in(
        &txn,
        &cal,
        NewCase {
            kind: "test",
            subject: subject.into(),
            title: format!("任务 {subject}"),
            link: format!("/plans/1#task-{subject}"),
            community_id: staff.community_id,
            policy,
            assignee: Some(staff.account_id),
            due,
        },
        Some(staff.account_id),
        when,
    )
    .await
    .unwrap();
    txn.commit().await.unwrap();
    id
}

async fn escalations(s: &Services, case: i64) -> Vec<i32> {
    sla_event::Entity::find()
        .filter(sla_event::Column::CaseId.eq(case))
        .filter(sla_event::Column::Kind.eq("escalated"))
        .all(&s.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.level.unwrap())
        .collect()
}

async fn messages(s: &Services) -> u64 {
    outbox::Entity::find()
        .filter(outbox::Column::Subject.contains("逾期"))
        .count(&s.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn overdue_work_is_escalated_exactly_once_after_downtime_and_restarts() {
    for db in testdb::each().await {
        let s = &db.s;
        crate::seed::seed_demo(s, Some("demo-pass-2026"))
            .await
            .unwrap();
        let opened = at("2026-11-23 09:00");
        let case = open(s, "1", "plan_task", Some(at("2026-11-24 18:00")), opened).await;
        // Before the deadline nothing happens.
        let r = sweep(s, at("2026-11-24 17:59")).await.unwrap();
        assert_eq!((r.due, r.escalated), (0, 0), "{}", db.name);
        // Down from Tuesday evening to the next Monday: the deadline and
        // both steps (staff at once, the street a working day later) fell
        // due meanwhile. One sweep writes one step, the last.
        let back = at("2026-11-30 09:30");
        let r = sweep(s, back).await.unwrap();
        assert_eq!(r.escalated, 1, "{}", db.name);
        assert_eq!(escalations(s, case).await, vec![2], "{}", db.name);
        let notified = messages(s).await;
        assert!(
            notified >= 2,
            "{}: the street officer is told in app and by SMS",
            db.name
        );
        // The street officer got it; the outbox marks it urgent.
        let officer = testdb::principal(s, "13800000003").await;
        let phone = account::Entity::find_by_id(officer.account_id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .phone;
        let to_officer = outbox::Entity::find()
            .filter(
                sea_orm::Condition::any()
                    .add(outbox::Column::Recipient.eq(officer.account_id.to_string()))
                    .add(outbox::Column::Recipient.eq(phone.clone())),
            )
            .filter(outbox::Column::Subject.contains("逾期"))
            .all(&s.db)
            .await
            .unwrap();
        assert_eq!(to_officer.len(), 2, "{}", db.name);
        assert!(
            to_officer
                .iter()
                .any(|m| m.channel == "sms" && m.recipient == phone),
            "SMS goes to the phone"
        );
        assert!(to_officer.iter().all(|m| m.urgent));
        // The step skipped while down (the community's staff) is told too,
        // once — and so is the assignee (step 0).
        let staff = testdb::principal(s, "13800000002").await;
        let to_staff = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(staff.account_id.to_string()))
            .filter(outbox::Column::Subject.contains("逾期"))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(
            to_staff, 1,
            "{}: staff (also the assignee) told once in the app",
            db.name
        );
        // Swept again (and again later): nothing more.
        for later in [back, back + Duration::hours(1), back + Duration::days(30)] {
            let r = sweep(s, later).await.unwrap();
            assert_eq!(r.escalated, 0, "{}", db.name);
        }
        // Two sweeps at once over a case that just fell due: one step.
        let case2 = open(s, "2", "plan_task", Some(at("2026-12-01 10:00")), back).await;
        let due = at("2026-12-01 10:05");
        let (a, b) = tokio::join!(sweep(s, due), sweep(s, due));
        assert_eq!(
            a.unwrap().escalated + b.unwrap().escalated,
            1,
            "{}",
            db.name
        );
        assert_eq!(escalations(s, case2).await, vec![1], "{}", db.name);
        // A restart: a new handle on the same database derives the same
        // state from the rows and does nothing twice.
        let again = Services::new(s.db.clone(), (*s.settings).clone());
        let r = sweep(&again, due + Duration::minutes(1)).await.unwrap();
        assert_eq!(r.escalated, 0, "{}", db.name);
        let before = messages(s).await;
        // The street step of case 2 comes a working day after its
        // deadline: Wednesday 10:00.
        let r = sweep(&again, at("2026-12-02 10:00")).await.unwrap();
        assert_eq!(r.escalated, 1, "{}", db.name);
        assert_eq!(escalations(s, case2).await, vec![1, 2], "{}", db.name);
        assert!(messages(s).await > before);
        // The stored row agrees with a fresh fold of the events.
        let row = sla_case::Entity::find_by_id(case2)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        let events: Vec<_> = events_of(&s.db, case2)
            .await
            .unwrap()
            .iter()
            .filter_map(event_of)
            .collect();
        let d = policy::derive(
            &Spec::parse(&row.spec).unwrap(),
            &events,
            Calendar::shipped(),
        );
        assert_eq!(
            (row.level, row.due_at, row.next_at),
            (d.level, d.due_at, d.next_at)
        );
        assert!(row.overdue && row.next_at.is_none());
    }
}

#[tokio::test]
async fn paused_work_is_not_swept_and_resuming_moves_the_deadline() {
    for db in testdb::each().await {
        let s = &db.s;
        crate::seed::seed_demo(s, Some("demo-pass-2026"))
            .await
            .unwrap();
        let case = open(
            s,
            "p",
            "plan_task",
            Some(at("2026-11-25 12:00")),
            at("2026-11-23 12:00"),
        )
        .await;
        let cal = calendar(s).await.unwrap();
        let change = |c: Change, when: DateTime<Utc>| {
            let cal = cal.clone();
            async move {
                let (_g, txn) = s.begin_write().await.unwrap();
                let r = change_in(&txn, &cal, case, c, None, Some("等居民答复"), when).await;
                txn.commit().await.unwrap();
                r
            }
        };
        // Paused a day in (waiting for a resident's answer) for two days.
        change(Change::Pause, at("2026-11-24 12:00")).await.unwrap();
        assert!(matches!(
            change(Change::Pause, at("2026-11-24 13:00")).await,
            Err(DomainError::Conflict("case_not_open"))
        ));
        let r = sweep(s, at("2026-11-26 09:00")).await.unwrap();
        assert_eq!(r.escalated, 0, "{}: paused work is not overdue", db.name);
        let d = change(Change::Resume, at("2026-11-26 12:00"))
            .await
            .unwrap();
        // A day was left: due Friday noon instead of Wednesday noon.
        assert_eq!(d.due_at, Some(at("2026-11-27 12:00")), "{}", db.name);
        assert_eq!(sweep(s, at("2026-11-27 11:59")).await.unwrap().escalated, 0);
        assert_eq!(sweep(s, at("2026-11-27 12:00")).await.unwrap().escalated, 1);
        // A new deadline starts the steps again; closing ends them.
        let d = change(
            Change::Reschedule {
                due: at("2026-12-04 12:00"),
            },
            at("2026-11-27 15:00"),
        )
        .await
        .unwrap();
        assert_eq!((d.level, d.overdue), (0, false));
        change(Change::Close, at("2026-11-28 10:00")).await.unwrap();
        assert_eq!(sweep(s, at("2026-12-31 10:00")).await.unwrap().escalated, 0);
        assert!(matches!(
            change(Change::Close, at("2026-11-28 11:00")).await,
            Err(DomainError::Conflict("case_closed"))
        ));
        let steps = timeline_in(&s.db, case).await.unwrap();
        let kinds: Vec<_> = steps.iter().map(|s| s.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Kind::Opened,
                Kind::Paused,
                Kind::Resumed,
                Kind::Escalated,
                Kind::Rescheduled,
                Kind::Closed
            ],
            "{}",
            db.name
        );
        assert_eq!(steps[1].note.as_deref(), Some("等居民答复"));
    }
}

#[tokio::test]
async fn admins_edit_policies_and_the_calendar_and_open_cases_follow() {
    for db in testdb::each().await {
        let s = &db.s;
        crate::seed::seed_demo(s, Some("demo-pass-2026"))
            .await
            .unwrap();
        let admin = testdb::principal(s, "13800000008").await;
        let staff = testdb::principal(s, "13800000002").await;
        let working = r#"{"stages":[{"key":"reply","name":"答复","deadline":"1d","clock":"working","escalate":[{"after":"0m","to":"staff"}]}]}"#;
        // Only admins, only valid policies; a refusal changes nothing.
        assert!(matches!(
            set_policy(s, &staff, "plan_task", working).await,
            Err(DomainError::Forbidden)
        ));
        assert!(
            set_policy(s, &admin, "plan_task", r#"{"stages":[{"key":"x"}]}"#)
                .await
                .is_err()
        );
        assert!(set_policy(s, &admin, "no_such", working).await.is_err());
        let p = sla_policy::Entity::find_by_id("plan_task")
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(p.version, 1);
        // A new version applies to new cases; it is audited.
        assert_eq!(
            set_policy(s, &admin, "plan_task", working).await.unwrap(),
            2
        );
        // Opened Friday 27 November 10:00: one working day → Monday 10:00.
        let case = open(s, "w", "plan_task", None, at("2026-11-27 10:00")).await;
        let row = sla_case::Entity::find_by_id(case)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (row.policy_version, row.due_at),
            (2, Some(at("2026-11-30 10:00")))
        );
        // The admin makes Monday a holiday: the due time moves to Tuesday.
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(matches!(
            set_calendar_day(s, &staff, day, Some(DayKind::Holiday), "测试").await,
            Err(DomainError::Forbidden)
        ));
        assert!(
            set_calendar_day(s, &admin, day, Some(DayKind::Holiday), "")
                .await
                .is_err()
        );
        set_calendar_day(s, &admin, day, Some(DayKind::Holiday), "临时休假")
            .await
            .unwrap();
        let row = sla_case::Entity::find_by_id(case)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.due_at, Some(at("2026-12-01 10:00")), "{}", db.name);
        let (covered, days) = calendar_year(s, 2026).await.unwrap();
        assert!(
            covered
                && days
                    .iter()
                    .any(|d| d.day == day && d.kind == DayKind::Holiday)
        );
        // Back to the rule.
        set_calendar_day(s, &admin, day, None, "").await.unwrap();
        let row = sla_case::Entity::find_by_id(case)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.due_at, Some(at("2026-11-30 10:00")));
        let audited = crate::audit::recent(s, &admin, 20).await.unwrap();
        assert!(audited.iter().any(|e| e.action == "sla.policy"));
        assert!(
            audited
                .iter()
                .filter(|e| e.action == "sla.calendar")
                .count()
                >= 2
        );
        assert!(crate::audit::verify(s).await.unwrap().ok());
    }
}
