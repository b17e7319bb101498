//! Infrastructure tests on `sqlite::memory:` with the real migrator:
//! leases, runs, the outbox, the audit chain, session purging. Inside the
//! crate, since they look at what the public API keeps to itself.
use crate::outbox::{Channel, Deliver, Message, deliver_pending_at, enqueue, enqueue_urgent_many};
use crate::{Services, Settings, db, jobs};
use std::sync::Mutex;

async fn services() -> Services {
    let conn = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&conn).await.unwrap();
    Services::new(conn, Settings::default())
}

#[tokio::test]
async fn a_lease_has_one_holder_until_it_expires() {
    let s = services().await;
    let ttl = chrono::Duration::seconds(30);
    assert!(jobs::try_lease(&s, "outbox", "a", ttl).await.unwrap());
    assert!(
        !jobs::try_lease(&s, "outbox", "b", ttl).await.unwrap(),
        "b must wait"
    );
    assert!(
        jobs::try_lease(&s, "outbox", "a", ttl).await.unwrap(),
        "a renews"
    );
    assert!(
        jobs::try_lease(&s, "crawl", "b", ttl).await.unwrap(),
        "other jobs are separate"
    );
    // An expired lease can be taken over.
    assert!(
        jobs::try_lease(&s, "sweep", "a", chrono::Duration::seconds(-1))
            .await
            .unwrap()
    );
    assert!(jobs::try_lease(&s, "sweep", "b", ttl).await.unwrap());
}

struct Recorder {
    sent: Mutex<Vec<String>>,
    fail_first: Mutex<bool>,
}

impl Deliver for Recorder {
    fn deliver<'a>(&'a self, msg: &'a Message) -> crate::outbox::Delivery<'a> {
        let mut fail = self.fail_first.lock().unwrap();
        let result = if *fail {
            *fail = false;
            Err("gateway down".into())
        } else {
            self.sent.lock().unwrap().push(msg.body.clone());
            Ok(())
        };
        Box::pin(std::future::ready(result))
    }
}

/// China time `YYYY-MM-DD HH:MM` as an instant.
fn china(s: &str) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    let naive = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&naive)
        .single()
        .unwrap()
        .with_timezone(&chrono::Utc)
}

#[tokio::test]
async fn outbox_delivers_each_message_once_and_retries_failures_after_a_backoff() {
    let s = services().await;
    enqueue(&s.db, Channel::Sms, "13800000001", "t", "one")
        .await
        .unwrap();
    enqueue(&s.db, Channel::Sms, "13800000002", "t", "two")
        .await
        .unwrap();
    let r = Recorder {
        sent: Mutex::new(vec![]),
        fail_first: Mutex::new(true),
    };
    let noon = china("2026-11-30 12:00");
    let deliver = |at| deliver_pending_at(&s.db, &r, 10, at);
    assert_eq!(deliver(noon).await.unwrap(), 1, "first fails, second goes");
    assert_eq!(
        deliver(noon + chrono::Duration::seconds(10)).await.unwrap(),
        0,
        "the failed one waits for its backoff"
    );
    assert_eq!(
        deliver(noon + chrono::Duration::seconds(31)).await.unwrap(),
        1,
        "then it is retried"
    );
    assert_eq!(
        deliver(noon + chrono::Duration::hours(1)).await.unwrap(),
        0,
        "nothing is sent twice"
    );
    let mut sent = r.sent.lock().unwrap().clone();
    sent.sort();
    assert_eq!(sent, vec!["one", "two"]);
}

#[tokio::test]
async fn a_message_whose_sender_stopped_mid_delivery_is_sent_again_later() {
    use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let s = services().await;
    let id = enqueue(&s.db, Channel::Sms, "13800000001", "t", "stuck")
        .await
        .unwrap();
    let noon = china("2026-11-30 12:00");
    // Claimed by a sender that then died (a crash during the gateway call).
    crate::entities::outbox::Entity::update_many()
        .set(crate::entities::outbox::ActiveModel {
            status: Set("sending".into()),
            attempts: Set(1),
            next_attempt_at: Set(Some(
                noon + chrono::Duration::seconds(crate::outbox::CLAIM_TTL_SECONDS),
            )),
            ..Default::default()
        })
        .filter(crate::entities::outbox::Column::Id.eq(id))
        .exec(&s.db)
        .await
        .unwrap();
    let r = Recorder {
        sent: Mutex::new(vec![]),
        fail_first: Mutex::new(false),
    };
    assert_eq!(
        deliver_pending_at(&s.db, &r, 10, noon + chrono::Duration::seconds(60))
            .await
            .unwrap(),
        0,
        "its claim still holds"
    );
    let later = noon + chrono::Duration::seconds(crate::outbox::CLAIM_TTL_SECONDS + 1);
    assert_eq!(deliver_pending_at(&s.db, &r, 10, later).await.unwrap(), 1);
    assert_eq!(deliver_pending_at(&s.db, &r, 10, later).await.unwrap(), 0);
    assert_eq!(r.sent.lock().unwrap().clone(), vec!["stuck"]);
    let row = crate::entities::outbox::Entity::find_by_id(id)
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((row.status.as_str(), row.attempts), ("sent", 2));
}

#[tokio::test]
async fn sms_that_is_not_urgent_waits_for_morning_and_urgent_work_does_not() {
    let s = services().await;
    enqueue(&s.db, Channel::Sms, "13800000001", "t", "notice")
        .await
        .unwrap();
    enqueue_urgent_many(
        &s.db,
        vec![(
            Channel::Sms,
            "13800000002".into(),
            "t".into(),
            "overdue".into(),
        )],
    )
    .await
    .unwrap();
    enqueue(&s.db, Channel::InApp, "7", "t", "in-app")
        .await
        .unwrap();
    let r = Recorder {
        sent: Mutex::new(vec![]),
        fail_first: Mutex::new(false),
    };
    let night = china("2026-11-30 23:30");
    assert_eq!(deliver_pending_at(&s.db, &r, 10, night).await.unwrap(), 2);
    assert_eq!(
        deliver_pending_at(&s.db, &r, 10, china("2026-12-01 06:59"))
            .await
            .unwrap(),
        0,
        "still quiet"
    );
    assert_eq!(
        deliver_pending_at(&s.db, &r, 10, china("2026-12-01 07:00"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        r.sent.lock().unwrap().clone(),
        vec!["overdue", "in-app", "notice"]
    );
}

#[tokio::test]
async fn audit_chain_links_entries() {
    let s = services().await;
    for i in 0..5 {
        crate::audit::append(
            &s.db,
            Some(1),
            "test.action",
            &format!("thing:{i}"),
            serde_json::json!({ "i": i }),
        )
        .await
        .unwrap();
    }
    let v = crate::audit::verify(&s).await.unwrap();
    assert_eq!(v.entries, 5);
    assert!(v.ok());
}

#[tokio::test]
async fn expired_sessions_are_purged() {
    let s = services().await;
    crate::seed::seed_demo(&s, Some("demo-pass-2026"))
        .await
        .unwrap();
    let (token, _) = crate::accounts::login_password(&s, "ip", "13800000001", "demo-pass-2026")
        .await
        .unwrap();
    assert_eq!(
        crate::accounts::purge_expired(&s).await.unwrap(),
        0,
        "live session kept"
    );
    use sea_orm::ConnectionTrait;
    s.db.execute_unprepared("UPDATE session SET expires_at = '2000-01-01T00:00:00+00:00'")
        .await
        .unwrap();
    assert!(
        crate::accounts::principal_for_token(&s, &token)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    assert_eq!(crate::accounts::purge_expired(&s).await.unwrap(), 1);
}

#[tokio::test]
async fn old_import_uploads_are_purged_new_ones_kept() {
    let dir = std::env::temp_dir().join(format!("hongcha-purge-{}", std::process::id()));
    let imports = dir.join("imports");
    std::fs::create_dir_all(&imports).unwrap();
    let conn = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&conn).await.unwrap();
    let s = Services::new(
        conn,
        Settings {
            data_dir: dir.clone(),
            ..Settings::default()
        },
    );
    let old = imports.join("1-old.csv");
    let new = imports.join("1-new.csv");
    std::fs::write(&old, "a").unwrap();
    std::fs::write(&new, "b").unwrap();
    let two_days = std::time::Duration::from_secs(2 * 24 * 3600);
    std::fs::File::options()
        .write(true)
        .open(&old)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - two_days)
        .unwrap();
    let day = std::time::Duration::from_secs(24 * 3600);
    assert_eq!(crate::import::purge_stash(&s, day).await.unwrap(), 1);
    assert!(!old.exists());
    assert!(new.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn runs_are_claimed_once_and_interrupted_runs_say_so() {
    let s = services().await;
    let p = serde_json::json!({ "x": 1 });
    let id = jobs::enqueue(&s, jobs::kind::IMPORT, "f1", Some(7), p.clone(), 10)
        .await
        .unwrap();
    // One run per target at a time.
    assert!(matches!(
        jobs::enqueue(&s, jobs::kind::IMPORT, "f1", Some(7), p.clone(), 10).await,
        Err(crate::DomainError::Conflict("already_running"))
    ));
    let run = jobs::claim(&s, "node-a").await.unwrap().expect("claimed");
    assert_eq!((run.id, run.params["x"].as_i64()), (id, Some(1)));
    assert!(
        jobs::claim(&s, "node-b").await.unwrap().is_none(),
        "taken once"
    );
    jobs::set_progress(&s, id, 4, 10).await.unwrap();
    let seen = jobs::latest(&s, jobs::kind::IMPORT, "f1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((seen.done, seen.total, seen.finished()), (4, 10, false));
    // node-a shuts down: its run is interrupted, not left "running".
    assert_eq!(
        jobs::interrupt(&s, Some("node-a"), chrono::Duration::zero())
            .await
            .unwrap(),
        1
    );
    let seen = jobs::latest(&s, jobs::kind::IMPORT, "f1")
        .await
        .unwrap()
        .unwrap();
    assert!(seen.finished());
    assert_eq!(seen.state, jobs::state::INTERRUPTED);
    assert_eq!(seen.error.as_deref(), Some("import.interrupted"));
    // It can be started again; a finished run records its result.
    let id2 = jobs::enqueue(&s, jobs::kind::IMPORT, "f1", Some(7), p, 10)
        .await
        .unwrap();
    let run = jobs::claim(&s, "node-b").await.unwrap().unwrap();
    assert_eq!(run.id, id2);
    jobs::finish(&s, id2, Ok(serde_json::json!({ "created": 10 })))
        .await
        .unwrap();
    let seen = jobs::latest(&s, jobs::kind::IMPORT, "f1")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(seen.state, jobs::state::DONE);
    assert_eq!(seen.result.unwrap()["created"], 10);
    // A run whose instance died is found by its silence.
    jobs::enqueue(&s, jobs::kind::CRAWL, "src", None, serde_json::json!({}), 0)
        .await
        .unwrap();
    jobs::claim(&s, "node-c").await.unwrap().unwrap();
    assert_eq!(
        jobs::interrupt(&s, None, chrono::Duration::minutes(10))
            .await
            .unwrap(),
        0,
        "still fresh"
    );
    assert_eq!(
        jobs::interrupt(&s, None, chrono::Duration::seconds(-1))
            .await
            .unwrap(),
        1
    );
}
