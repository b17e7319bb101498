//! The loop from an accepted topic to a closed plan on real databases:
//! a plan from the meeting's resolution, tasks on the SLA engine, the last
//! task done asks residents to rate, a low rating reopens the plan, a good
//! one closes it — and every author hears of each step once.
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use super::*;
use crate::entities::outbox;
use crate::evaluation::{self, Outcome};
use crate::testdb;

async fn notices(s: &Services, account: i64) -> Vec<String> {
    outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(account.to_string()))
        .filter(outbox::Column::Channel.eq("in_app"))
        .all(&s.db)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.subject)
        .collect()
}

/// Opens the confirmation link last sent to `address`.
async fn confirm_by_link(s: &Services, address: &str) -> String {
    let body = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(address))
        .filter(outbox::Column::Channel.eq("email"))
        .filter(outbox::Column::Sensitive.eq(true))
        .order_by_desc(outbox::Column::Id)
        .one(&s.db)
        .await
        .unwrap()
        .expect("a confirmation mail")
        .body;
    let token = body.rsplit("t=").next().unwrap().to_owned();
    crate::outbox::confirm_email(s, &token).await.unwrap();
    token
}

/// An address is used once the person who owns it opens the link sent to
/// it: before that nothing goes there; a link works once and for a day; a
/// second address within the minute is refused; an address typed again
/// while waiting sends no second link.
#[tokio::test]
async fn e_mail_goes_to_an_address_once_its_owner_confirms_it() {
    use crate::outbox::{confirm_email, preferences, set_preferences};
    for db in testdb::each().await {
        let s = &db.s;
        let (_, resident, ..) = testdb::accepted_topic(s).await;
        let links = |address: &'static str| async move {
            outbox::Entity::find()
                .filter(outbox::Column::Recipient.eq(address))
                .filter(outbox::Column::Sensitive.eq(true))
                .count(&s.db)
                .await
                .unwrap()
        };
        let p = set_preferences(s, &resident, false, "Wang@Mail.Example", true)
            .await
            .unwrap();
        assert_eq!(
            (p.email, p.pending.as_deref()),
            (None, Some("Wang@mail.example"))
        );
        // Typed again: the same link stands.
        set_preferences(s, &resident, false, "Wang@mail.example", true)
            .await
            .unwrap();
        assert_eq!(links("Wang@mail.example").await, 1, "{}", db.name);
        // Another address within the minute: refused, nothing sent.
        assert!(matches!(
            set_preferences(s, &resident, false, "other@mail.example", true).await,
            Err(DomainError::RateLimited { .. })
        ));
        assert_eq!(links("other@mail.example").await, 0);
        // Wrong or malformed links are refused alike.
        for bad in ["0".repeat(48), "xyz".into(), String::new()] {
            assert!(confirm_email(s, &bad).await.is_err(), "{bad}");
        }
        let token = confirm_by_link(s, "Wang@mail.example").await;
        let p = preferences(s, &resident).await.unwrap();
        assert_eq!(
            (p.email.as_deref(), p.pending),
            (Some("Wang@mail.example"), None)
        );
        assert!(confirm_email(s, &token).await.is_err(), "once");
        // A link older than a day no longer works.
        let later = crate::clock::now() - chrono::Duration::minutes(2);
        crate::entities::account::Entity::update_many()
            .col_expr(
                crate::entities::account::Column::EmailTokenAt,
                sea_orm::sea_query::Expr::value(Some(later)),
            )
            .filter(crate::entities::account::Column::Id.eq(resident.account_id))
            .exec(&s.db)
            .await
            .unwrap();
        set_preferences(s, &resident, false, "new@mail.example", true)
            .await
            .unwrap();
        let old = crate::clock::now() - chrono::Duration::hours(25);
        crate::entities::account::Entity::update_many()
            .col_expr(
                crate::entities::account::Column::EmailTokenAt,
                sea_orm::sea_query::Expr::value(Some(old)),
            )
            .filter(crate::entities::account::Column::Id.eq(resident.account_id))
            .exec(&s.db)
            .await
            .unwrap();
        let body = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq("new@mail.example"))
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .body;
        let stale = body.rsplit("t=").next().unwrap();
        assert!(matches!(
            confirm_email(s, stale).await,
            Err(DomainError::Validation {
                rule: "expired",
                ..
            })
        ));
        // The confirmed address stays in use meanwhile.
        let p = preferences(s, &resident).await.unwrap();
        assert_eq!(p.email.as_deref(), Some("Wang@mail.example"));
    }
}

#[tokio::test]
async fn a_plan_runs_from_resolution_to_residents_rating_and_tells_each_author_once_per_step() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, resident, item, topic, opinion) = testdb::accepted_topic(s).await;
        // SMS and e-mail (an address given with a capitalised domain, then
        // confirmed through the link sent to it).
        let chosen =
            crate::outbox::set_preferences(s, &resident, true, " li.wei@Example.ORG ", true)
                .await
                .unwrap();
        assert_eq!(chosen.pending.as_deref(), Some("li.wei@example.org"));
        confirm_by_link(s, "li.wei@example.org").await;
        let community = staff.community_id.unwrap();
        let new = || NewPlan {
            community_id: community,
            agenda_item_id: Some(item),
            meeting_id: None,
            title: "车棚加装充电桩".into(),
            summary: "物业负责施工，社区监督".into(),
        };
        assert!(matches!(
            create(s, &resident, new()).await,
            Err(DomainError::Forbidden)
        ));
        // An agenda item that does not exist is refused.
        assert!(
            create(
                s,
                &staff,
                NewPlan {
                    agenda_item_id: Some(999_999),
                    ..new()
                }
            )
            .await
            .is_err()
        );
        let plan = create(s, &staff, new()).await.unwrap();
        // Tasks: the deadline must lie ahead; the party must be named.
        let task = |title: &str, days: i64| NewTask {
            title: title.into(),
            party: Party::Property,
            party_name: "小河物业".into(),
            assignee_id: None,
            deadline: clock::now() + chrono::Duration::days(days),
        };
        assert!(
            add_task(s, &staff, plan, task("过去的任务", -1))
                .await
                .is_err()
        );
        assert!(
            add_task(
                s,
                &staff,
                plan,
                NewTask {
                    party_name: " ".into(),
                    ..task("无人负责", 3)
                }
            )
            .await
            .is_err()
        );
        let t1 = add_task(s, &staff, plan, task("采购充电桩", 7))
            .await
            .unwrap();
        let t2 = add_task(
            s,
            &staff,
            plan,
            NewTask {
                assignee_id: Some(resident.account_id),
                party: Party::Residents,
                party_name: "楼道自治小组".into(),
                ..task("楼道清理", 3)
            },
        )
        .await
        .unwrap();
        let v = view(s, Some(&resident), plan).await.unwrap();
        assert_eq!(v.tasks.len(), 2);
        let case = v.tasks[0].case.as_ref().unwrap();
        assert_eq!(
            (case.due_at, case.overdue),
            (Some(v.tasks[0].deadline), false),
            "{}",
            db.name
        );
        assert!(!v.may_manage && !v.may_rate);
        // The assignee may update their own task but not move its deadline;
        // other residents may not touch it.
        update_task(
            s,
            &resident,
            t2,
            TaskChange {
                progress: Some(50),
                note: "已清理一半".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            update_task(
                s,
                &resident,
                t2,
                TaskChange {
                    deadline: Some(clock::now() + chrono::Duration::days(9)),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            update_task(
                s,
                &resident,
                t1,
                TaskChange {
                    progress: Some(10),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::Forbidden)
        ));
        assert!(
            update_task(
                s,
                &staff,
                t1,
                TaskChange {
                    progress: Some(101),
                    ..Default::default()
                }
            )
            .await
            .is_err()
        );
        // Waiting for the supplier pauses the deadline's clock.
        update_task(
            s,
            &staff,
            t1,
            TaskChange {
                status: Some(TaskStatus::Paused),
                note: "等待供货".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let v = view(s, None, plan).await.unwrap();
        assert_eq!(v.tasks[0].case.as_ref().unwrap().state, sla::State::Paused);
        update_task(
            s,
            &staff,
            t1,
            TaskChange {
                status: Some(TaskStatus::Done),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert_eq!(view(s, None, plan).await.unwrap().status, status::ACTIVE);
        assert!(matches!(
            evaluation::rate_plan(s, &resident, plan, 5, "").await,
            Err(DomainError::Conflict("plan_not_rating"))
        ));
        update_task(
            s,
            &resident,
            t2,
            TaskChange {
                status: Some(TaskStatus::Done),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Every task done: residents rate.
        let v = view(s, Some(&resident), plan).await.unwrap();
        assert_eq!((v.status.as_str(), v.progress), (status::RATING, 100));
        assert!(
            v.may_rate
                && v.tasks
                    .iter()
                    .all(|t| t.case.as_ref().unwrap().state == sla::State::Closed)
        );
        assert!(matches!(
            evaluation::close_plan(s, &staff, plan).await,
            Err(DomainError::Conflict("not_rated_yet"))
        ));
        assert!(
            evaluation::rate_plan(s, &resident, plan, 6, "")
                .await
                .is_err()
        );
        evaluation::rate_plan(s, &resident, plan, 2, "充电桩太少，13800005555")
            .await
            .unwrap();
        assert!(matches!(
            evaluation::rate_plan(s, &resident, plan, 5, "").await,
            Err(DomainError::Conflict("already_rated"))
        ));
        // Staff of another community, or the resident, cannot close it.
        assert!(matches!(
            evaluation::close_plan(s, &resident, plan).await,
            Err(DomainError::Forbidden)
        ));
        // A low rating reopens the plan with a note.
        let out = evaluation::close_plan(s, &staff, plan).await.unwrap();
        assert!(
            matches!(&out, Outcome::Reopened { note, .. } if note.contains("2.0")),
            "{out:?}"
        );
        let v = view(s, Some(&resident), plan).await.unwrap();
        assert_eq!((v.status.as_str(), v.round), (status::ACTIVE, 2));
        assert!(
            v.timeline.iter().all(|u| !u.body.contains("13800005555")),
            "comments are masked"
        );
        // More work, done again, rated well: closed and resolved.
        let t3 = add_task(s, &staff, plan, task("增加 10 个充电桩", 5))
            .await
            .unwrap();
        update_task(
            s,
            &staff,
            t3,
            TaskChange {
                status: Some(TaskStatus::Done),
                note: "已安装".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        evaluation::rate_plan(s, &resident, plan, 5, "满意")
            .await
            .unwrap();
        assert!(
            matches!(evaluation::close_plan(s, &staff, plan).await.unwrap(), Outcome::Closed(r) if r.average == 5.0)
        );
        let v = view(s, None, plan).await.unwrap();
        assert_eq!(v.status, status::CLOSED);
        assert!(matches!(
            update_task(
                s,
                &staff,
                t3,
                TaskChange {
                    note: "再改".into(),
                    ..Default::default()
                }
            )
            .await,
            Err(DomainError::Conflict("plan_closed"))
        ));
        // The author heard of each step once: accepted, planned, rating
        // (once per round: asked again after the reopen), resolved.
        let got = notices(s, resident.account_id).await;
        for subject in [
            "您的意见已列入议题",
            "议事会已形成共治方案",
            "请为共治方案的落实情况打分",
            "共治方案已整改，请再次打分",
            "您关心的议题已办结",
        ] {
            assert_eq!(
                got.iter().filter(|g| g.as_str() == subject).count(),
                1,
                "{}: {subject} in {got:?}",
                db.name
            );
        }
        let told = crate::agenda::entities::loop_notice::Entity::find()
            .filter(crate::agenda::entities::loop_notice::Column::TopicId.eq(topic))
            .count(&s.db)
            .await
            .unwrap();
        assert_eq!(told, 5, "{}", db.name);
        // By SMS too, each with a whole link: every step after the resident
        // chose SMS (the topic was accepted before).
        let phone = crate::entities::account::Entity::find_by_id(resident.account_id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap()
            .phone;
        let sms: Vec<String> = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq(phone))
            .filter(outbox::Column::Channel.eq("sms"))
            .order_by_asc(outbox::Column::Id)
            .all(&s.db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(sms.len(), 4, "{}: {sms:?}", db.name);
        // The same notices by e-mail, to the address as it was kept.
        let mail: Vec<String> = outbox::Entity::find()
            .filter(outbox::Column::Recipient.eq("li.wei@example.org"))
            .filter(outbox::Column::Channel.eq("email"))
            .filter(outbox::Column::Sensitive.eq(false))
            .order_by_asc(outbox::Column::Id)
            .all(&s.db)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.body)
            .collect();
        assert_eq!(mail, sms, "{}", db.name);
        for body in &sms {
            assert!(
                body.contains(&format!("查看：{}/", testdb::ORIGIN)),
                "{}: {body}",
                db.name
            );
        }
        // The opinion shows its whole way (no meeting in this one).
        let path = evaluation::opinion_path(s, None, opinion).await.unwrap();
        let steps: Vec<_> = path.iter().map(|p| (p.key.as_str(), p.done)).collect();
        assert_eq!(
            steps,
            vec![
                ("received", true),
                ("published", true),
                ("topic", true),
                ("accepted", true),
                ("meeting", false),
                ("plan", true),
                ("tasks", true),
                ("rating", true),
                ("closed", true)
            ],
            "{}",
            db.name
        );
        assert_eq!(path[7].label, "5.0");
        assert!(crate::audit::verify(s).await.unwrap().ok());
    }
}

#[tokio::test]
async fn the_demo_street_shows_the_whole_loop() {
    for db in testdb::each().await {
        let s = &db.s;
        crate::seed::seed_demo(s, Some("demo-pass-2026"))
            .await
            .unwrap();
        crate::seed::seed_demo_street(s).await.unwrap();
        crate::seed::seed_demo_loop(s).await.unwrap();
        let meetings = crate::meetings::list(s, None, None).await.unwrap();
        assert_eq!(meetings.len(), 1, "{}", db.name);
        assert_eq!(meetings[0].status, "closed");
        assert!(meetings[0].starts_at < clock::now() - chrono::Duration::days(5));
        let m = crate::meetings::view(s, None, meetings[0].id)
            .await
            .unwrap();
        assert!(
            !m.minutes.is_empty() && m.rating.count == 1 && m.motions[0].tally.passed == Some(true)
        );
        let plans = list(s, None).await.unwrap();
        assert_eq!(plans.len(), 1);
        let p = view(s, None, plans[0].id).await.unwrap();
        assert_eq!(p.status, status::ACTIVE);
        let states: Vec<&str> = p.tasks.iter().map(|t| t.status.as_str()).collect();
        assert_eq!(states, vec!["done", "doing"], "{}", db.name);
    }
}

#[tokio::test]
async fn the_last_two_tasks_done_at_once_still_open_the_rating() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, _resident, item, _topic, _) = testdb::accepted_topic(s).await;
        let plan = create(
            s,
            &staff,
            NewPlan {
                community_id: staff.community_id.unwrap(),
                agenda_item_id: Some(item),
                meeting_id: None,
                title: "两项任务同时完成".into(),
                summary: String::new(),
            },
        )
        .await
        .unwrap();
        let task = |t: &str| NewTask {
            title: t.into(),
            party: Party::Community,
            party_name: "长乐社区".into(),
            assignee_id: None,
            deadline: clock::now() + chrono::Duration::days(3),
        };
        let a = add_task(s, &staff, plan, task("任务甲")).await.unwrap();
        let b = add_task(s, &staff, plan, task("任务乙")).await.unwrap();
        let done = || TaskChange {
            status: Some(TaskStatus::Done),
            ..Default::default()
        };
        let (x, y) = tokio::join!(
            update_task(s, &staff, a, done()),
            update_task(s, &staff, b, done())
        );
        x.unwrap();
        y.unwrap();
        assert_eq!(
            view(s, None, plan).await.unwrap().status,
            status::RATING,
            "{}",
            db.name
        );
    }
}

#[tokio::test]
async fn a_task_handed_over_tells_its_new_assignee_and_keeps_its_deadline() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, resident, item, _topic, _) = testdb::accepted_topic(s).await;
        let property = testdb::principal(s, "13800000006").await;
        let plan = create(
            s,
            &staff,
            NewPlan {
                community_id: staff.community_id.unwrap(),
                agenda_item_id: Some(item),
                meeting_id: None,
                title: "车棚加装充电桩".into(),
                summary: String::new(),
            },
        )
        .await
        .unwrap();
        let deadline = clock::now() + chrono::Duration::days(5);
        let task = add_task(
            s,
            &staff,
            plan,
            NewTask {
                title: "安装充电桩".into(),
                party: Party::Community,
                party_name: "长乐社区".into(),
                assignee_id: None,
                deadline,
            },
        )
        .await
        .unwrap();
        let to = |phone: &str| Handover {
            party: Some(Party::Property),
            party_name: "小河物业公司 电话13912345678".into(),
            assignee_phone: phone.into(),
            note: "物业负责施工".into(),
        };
        // Only staff of the community hand a task over; the input is checked.
        assert!(matches!(
            reassign_task(s, &resident, task, to("13800000006")).await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            reassign_task(s, &staff, 999_999, to("13800000006")).await,
            Err(DomainError::NotFound)
        ));
        for (bad, field) in [
            (to("not a phone"), "assignee"),
            (to("13999999999"), "assignee"),
            (
                Handover {
                    party: None,
                    ..to("")
                },
                "party",
            ),
            (
                Handover {
                    party_name: " ".into(),
                    ..to("")
                },
                "party_name",
            ),
        ] {
            match reassign_task(s, &staff, task, bad).await {
                Err(DomainError::Validation { field: f, .. }) => {
                    assert_eq!(f, field, "{}", db.name)
                }
                other => panic!("{}: {field}: {other:?}", db.name),
            }
        }
        reassign_task(s, &staff, task, to("13800000006"))
            .await
            .unwrap();
        // The same hand-over again changes nothing and says so.
        assert!(matches!(
            reassign_task(s, &staff, task, to("13800000006")).await,
            Err(DomainError::Validation {
                field: "party_name",
                ..
            })
        ));
        let v = view(s, None, plan).await.unwrap();
        let t = &v.tasks[0];
        assert_eq!(t.party, "property");
        // The party's name is public text: masked.
        assert!(
            t.party_name.starts_with("小河物业公司") && !t.party_name.contains("13912345678"),
            "{}",
            t.party_name
        );
        assert_eq!(t.assignee_id, Some(property.account_id));
        assert_eq!(
            t.case.as_ref().unwrap().due_at.map(|d| d.timestamp()),
            Some(deadline.timestamp())
        );
        assert!(
            v.timeline
                .iter()
                .any(|u| u.kind == "reassign" && u.body.starts_with("长乐社区 → 小河物业公司")),
            "{:?}",
            v.timeline
        );
        // The SLA case records who has it now.
        let steps = task_timeline(s, &staff, task).await.unwrap();
        let last = steps.last().unwrap();
        assert_eq!(last.kind, crate::sla::Kind::Reassigned);
        assert_eq!(last.assignee_id, Some(property.account_id));
        // The new assignee is told once, and may now update the task.
        assert_eq!(
            notices(s, property.account_id)
                .await
                .iter()
                .filter(|n| n.as_str() == "任务已交给您")
                .count(),
            1
        );
        update_task(
            s,
            &property,
            task,
            TaskChange {
                progress: Some(40),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        // Handed back to the community: the property company is told it is
        // no longer theirs.
        reassign_task(
            s,
            &staff,
            task,
            Handover {
                party: Some(Party::Community),
                party_name: "长乐社区".into(),
                assignee_phone: String::new(),
                note: String::new(),
            },
        )
        .await
        .unwrap();
        assert!(
            notices(s, property.account_id)
                .await
                .contains(&"任务已转交".to_owned())
        );
        // A finished task stays with whoever finished it.
        update_task(
            s,
            &staff,
            task,
            TaskChange {
                status: Some(TaskStatus::Done),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        assert!(matches!(
            reassign_task(s, &staff, task, to("")).await,
            Err(DomainError::Conflict("task_done"))
        ));
        assert_eq!(
            crate::audit::verify(s).await.unwrap().first_bad_seq,
            None,
            "{}",
            db.name
        );
    }
}
