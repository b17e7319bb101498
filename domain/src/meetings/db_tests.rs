//! Meetings on real databases (a SQLite file, and PostgreSQL when
//! `TEST_DATABASE_URL` is set): states, invitations with personal links,
//! check-in, one vote per participant, quorum and majority, staff-entered
//! on-site votes, closing frozen, and who may do what.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::*;
use crate::entities::outbox as outbox_row;
use crate::testdb;

fn input(community: i64, item: i64) -> MeetingInput {
    MeetingInput {
        community_id: community,
        title: "楼道飞线充电议事会".into(),
        summary: "讨论楼道充电安全，联系人 13912345678".into(),
        mode: Mode::Hybrid,
        venue: "社区党群服务中心二楼".into(),
        starts_at: clock::now() + chrono::Duration::days(2),
        minutes_long: 90,
        video_url: "https://meeting.example.org/room/1".into(),
        agenda_items: vec![item],
        quorum: 2,
        majority_pct: 50,
    }
}

/// A resident by account and a property company's manager by phone.
fn resident_and_property(resident: &Principal) -> Vec<Invitee> {
    vec![
        Invitee {
            account_id: Some(resident.account_id),
            name: String::new(),
            party: Party::Resident,
            phone: String::new(),
        },
        Invitee {
            account_id: None,
            name: "小河物业 张经理".into(),
            party: Party::Property,
            phone: "13911112222".into(),
        },
    ]
}

/// The join token in the newest invitation to `recipient`.
async fn token_for(s: &Services, recipient: &str) -> String {
    let m = outbox_row::Entity::find()
        .filter(outbox_row::Column::Recipient.eq(recipient))
        .filter(outbox_row::Column::Subject.eq("议事会邀请"))
        .all(&s.db)
        .await
        .unwrap()
        .pop()
        .unwrap();
    m.body
        .split("t=")
        .nth(1)
        .unwrap()
        .chars()
        .take(48)
        .collect()
}

#[tokio::test]
async fn a_hybrid_meeting_runs_from_draft_to_closed_minutes() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, resident, item, _topic, _) = testdb::accepted_topic(s).await;
        let community = staff.community_id.unwrap();
        // Hostile or wrong input is refused with nothing saved.
        let mut bad = input(community, item);
        bad.video_url = "javascript:alert(1)".into();
        assert!(create(s, &staff, bad).await.is_err());
        let mut bad = input(community, item);
        bad.video_url = "https://user:pw@example.org/".into();
        assert!(create(s, &staff, bad).await.is_err());
        let mut bad = input(community, item);
        bad.agenda_items = vec![item, 999_999];
        assert!(create(s, &staff, bad).await.is_err());
        let mut bad = input(community, item);
        bad.majority_pct = 20;
        assert!(create(s, &staff, bad).await.is_err());
        assert!(matches!(
            create(s, &resident, input(community, item)).await,
            Err(DomainError::Forbidden)
        ));
        assert!(
            list(s, Some(&staff), None).await.unwrap().is_empty(),
            "{}",
            db.name
        );

        let id = create(s, &staff, input(community, item)).await.unwrap();
        // Drafts are the staff's only; the summary's phone number is masked.
        assert!(matches!(
            view(s, None, id).await,
            Err(DomainError::NotFound)
        ));
        let v = view(s, Some(Who::Account(&staff)), id).await.unwrap();
        assert!(!v.summary.contains("13912345678") && v.may_manage);
        // Invite the resident and a property company by phone.
        let ids = invite(
            s,
            &staff,
            id,
            vec![
                Invitee {
                    account_id: Some(resident.account_id),
                    name: String::new(),
                    party: Party::Resident,
                    phone: String::new(),
                },
                Invitee {
                    account_id: None,
                    name: "小河物业 张经理".into(),
                    party: Party::Property,
                    phone: "13911112222".into(),
                },
                Invitee {
                    account_id: None,
                    name: "坏号码".into(),
                    party: Party::Expert,
                    phone: "12345".into(),
                },
            ],
        )
        .await;
        assert!(ids.is_err(), "a bad phone refuses the whole list");
        let ids = invite(s, &staff, id, resident_and_property(&resident))
            .await
            .unwrap();
        assert_eq!(ids.len(), 2);
        // Inviting an account again gives the same participant.
        let again = invite(
            s,
            &staff,
            id,
            vec![Invitee {
                account_id: Some(resident.account_id),
                name: String::new(),
                party: Party::Resident,
                phone: String::new(),
            }],
        )
        .await
        .unwrap();
        assert_eq!(again, vec![ids[0]]);
        // So is a guest's number (one person, one link, one vote).
        let guest_again = invite(
            s,
            &staff,
            id,
            vec![Invitee {
                account_id: None,
                name: "张经理".into(),
                party: Party::Property,
                phone: "139 1111 2222".into(),
            }],
        )
        .await
        .unwrap();
        assert_eq!(guest_again, vec![ids[1]], "{}", db.name);
        schedule(s, &staff, id).await.unwrap();
        assert!(matches!(
            schedule(s, &staff, id).await,
            Err(DomainError::Conflict(_))
        ));
        // The guest got a personal link by SMS; it works, a made-up one does not.
        let token = token_for(s, "13911112222").await;
        rsvp(s, Who::Token(&token), id, Rsvp::Onsite).await.unwrap();
        assert!(matches!(
            rsvp(s, Who::Token(&"0".repeat(48)), id, Rsvp::Online).await,
            Err(DomainError::Forbidden)
        ));
        assert!(matches!(
            rsvp(s, Who::Token("../../etc"), id, Rsvp::Online).await,
            Err(DomainError::Forbidden)
        ));
        // A resident who was not invited is not a participant.
        let admin = testdb::principal(s, "13800000008").await;
        assert!(matches!(
            join_online(s, Who::Account(&admin), id).await,
            Err(DomainError::Forbidden)
        ));
        // Check-in: a wrong code is refused, the right one marks on site.
        let code = view(s, Some(Who::Account(&staff)), id)
            .await
            .unwrap()
            .checkin_code
            .unwrap();
        assert!(
            check_in(s, Who::Token(&token), id, "000000x")
                .await
                .is_err()
        );
        check_in(s, Who::Token(&token), id, &code).await.unwrap();
        go_live(s, &staff, id).await.unwrap();
        let rid = join_online(s, Who::Account(&resident), id).await.unwrap();
        assert_eq!(rid, ids[0]);
        let v = view(s, None, id).await.unwrap();
        assert_eq!(
            (v.status.as_str(), v.onsite, v.online, v.invited),
            ("live", 1, 1, 2),
            "{}",
            db.name
        );
        assert!(
            v.participants.is_empty() && v.checkin_code.is_none(),
            "the public sees no names or code"
        );

        // A motion: one vote each; staff enter the on-site guest's vote.
        let seq = v.live_seq;
        let motion = open_motion(
            s,
            &staff,
            id,
            "同意在车棚加装充电桩",
            MotionKind::Motion,
            vec![],
        )
        .await
        .unwrap();
        assert!(matches!(
            open_motion(s, &resident, id, "我来开个投票", MotionKind::Poll, vec![]).await,
            Err(DomainError::Forbidden)
        ));
        vote(s, Who::Account(&resident), motion, 0).await.unwrap();
        assert!(matches!(
            vote(s, Who::Account(&resident), motion, 1).await,
            Err(DomainError::Conflict("already_voted"))
        ));
        assert!(vote(s, Who::Account(&resident), motion, 7).await.is_err());
        // The guest is on site: staff enter their show of hands (not the
        // online resident's).
        assert!(matches!(
            enter_vote(s, &staff, motion, ids[0], 1).await,
            Err(DomainError::Conflict("not_onsite"))
        ));
        enter_vote(s, &staff, motion, ids[1], 0).await.unwrap();
        let v = view(s, Some(Who::Account(&resident)), id).await.unwrap();
        assert!(v.live_seq > seq, "every change raises the live sequence");
        let mv = v.motions.iter().find(|m| m.id == motion).unwrap();
        assert_eq!(
            (mv.open, mv.tally.counts.clone(), mv.tally.cast),
            (true, vec![2, 0, 0], 2)
        );
        assert_eq!(v.me.as_ref().unwrap().votes, vec![(motion, 0)]);
        let t = close_motion(s, &staff, motion).await.unwrap();
        assert_eq!(
            (t.present, t.quorum_met, t.passed),
            (2, true, Some(true)),
            "{}",
            db.name
        );
        assert!(matches!(
            vote(s, Who::Token(&token), motion, 0).await,
            Err(DomainError::Conflict(_))
        ));

        // Messages wait for staff; hands queue.
        let msg = post_message(
            s,
            Who::Account(&resident),
            id,
            "建议充电桩装在非机动车棚，我的电话 13800001111",
        )
        .await
        .unwrap();
        assert!(
            view(s, None, id).await.unwrap().messages.is_empty(),
            "pending messages are not public"
        );
        moderate_message(s, &staff, msg, true).await.unwrap();
        let shown = view(s, None, id).await.unwrap().messages;
        assert_eq!(shown.len(), 1);
        assert!(
            !shown[0].body.contains("13800001111"),
            "phone numbers are masked"
        );
        hand(s, Who::Account(&resident), id, true).await.unwrap();
        assert_eq!(view(s, None, id).await.unwrap().hands.len(), 1);
        call_on(s, &staff, id, ids[0]).await.unwrap();
        assert!(view(s, None, id).await.unwrap().hands.is_empty());

        // Minutes, then close: open polls freeze, nothing changes after.
        let item_row = view(s, None, id).await.unwrap().items[0].id;
        save_minutes(
            s,
            &staff,
            id,
            Some("与会人员一致同意在车棚加装充电桩。"),
            vec![(item_row, "加装充电桩，物业负责".into())],
        )
        .await
        .unwrap();
        let poll = open_motion(
            s,
            &staff,
            id,
            "充电桩装几个",
            MotionKind::Poll,
            vec!["10 个".into(), "20 个".into()],
        )
        .await
        .unwrap();
        vote(s, Who::Account(&resident), poll, 1).await.unwrap();
        close(s, &staff, id).await.unwrap();
        let v = view(s, None, id).await.unwrap();
        assert_eq!(v.status, "closed");
        assert!(v.motions.iter().all(|m| !m.open));
        assert_eq!(
            v.motions
                .iter()
                .find(|m| m.id == poll)
                .unwrap()
                .tally
                .counts,
            vec![0, 1]
        );
        assert!(matches!(
            save_minutes(s, &staff, id, Some("改纪要"), vec![]).await,
            Err(DomainError::Conflict("meeting_closed"))
        ));
        assert!(matches!(
            vote(s, Who::Account(&resident), poll, 0).await,
            Err(DomainError::Conflict(_))
        ));
        // Evaluation: participants rate once; staff record the outcome's use.
        rate(s, Who::Account(&resident), id, 4, "会开得不错")
            .await
            .unwrap();
        assert!(matches!(
            rate(s, Who::Account(&resident), id, 5, "").await,
            Err(DomainError::Conflict("already_rated"))
        ));
        record_outcome_use(s, &staff, id, "纪要报街道，充电桩列入年度民生实事")
            .await
            .unwrap();
        let v = view(s, None, id).await.unwrap();
        assert_eq!((v.rating.count, v.rating.average), (1, 4.0));
        assert!(v.outcome_use.is_some());
        assert!(crate::audit::verify(s).await.unwrap().ok());
    }
}

#[tokio::test]
async fn a_motion_without_quorum_does_not_carry() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, resident, item, _, _) = testdb::accepted_topic(s).await;
        let mut i = input(staff.community_id.unwrap(), item);
        i.quorum = 5;
        i.majority_pct = 66;
        let id = create(s, &staff, i).await.unwrap();
        invite(
            s,
            &staff,
            id,
            vec![Invitee {
                account_id: Some(resident.account_id),
                name: String::new(),
                party: Party::Resident,
                phone: String::new(),
            }],
        )
        .await
        .unwrap();
        schedule(s, &staff, id).await.unwrap();
        go_live(s, &staff, id).await.unwrap();
        // Not present yet: no vote.
        let motion = open_motion(s, &staff, id, "同意方案", MotionKind::Motion, vec![])
            .await
            .unwrap();
        assert!(matches!(
            vote(s, Who::Account(&resident), motion, 0).await,
            Err(DomainError::Conflict("not_present"))
        ));
        join_online(s, Who::Account(&resident), id).await.unwrap();
        vote(s, Who::Account(&resident), motion, 0).await.unwrap();
        let t = close_motion(s, &staff, motion).await.unwrap();
        assert_eq!(
            (t.cast, t.present, t.quorum_met, t.passed),
            (1, 1, false, Some(false)),
            "{}",
            db.name
        );
        assert!(matches!(
            close_motion(s, &staff, motion).await,
            Err(DomainError::Conflict("motion_closed"))
        ));
    }
}

/// Staff edit a draft freely; once it is scheduled, a change of time,
/// place or mode tells every invitee (in the app, or by SMS for a guest
/// invited by phone) and a change of wording alone does not. A live
/// meeting is no longer edited, and only the community's staff edit.
#[tokio::test]
async fn an_edit_after_scheduling_tells_the_invitees_what_moved() {
    for db in testdb::each().await {
        let s = &db.s;
        let (staff, resident, item, _, _) = testdb::accepted_topic(s).await;
        let community = staff.community_id.unwrap();
        let id = create(s, &staff, input(community, item)).await.unwrap();
        invite(s, &staff, id, resident_and_property(&resident))
            .await
            .unwrap();
        let changed = |recipient: String| async move {
            outbox_row::Entity::find()
                .filter(outbox_row::Column::Recipient.eq(recipient))
                .filter(outbox_row::Column::Subject.eq("议事会安排有变"))
                .all(&s.db)
                .await
                .unwrap()
                .into_iter()
                .map(|m| m.body)
                .collect::<Vec<_>>()
        };
        let account = || resident.account_id.to_string();
        let guest = || "13911112222".to_owned();

        // A draft: edited without telling anyone.
        let mut later = input(community, item);
        later.starts_at += chrono::Duration::hours(3);
        edit(s, &staff, id, later.clone()).await.unwrap();
        assert!(changed(account()).await.is_empty(), "{}", db.name);

        schedule(s, &staff, id).await.unwrap();
        // Wording only: nobody is disturbed.
        let mut reworded = later.clone();
        reworded.title = "楼道飞线充电议事会（第二次）".into();
        edit(s, &staff, id, reworded.clone()).await.unwrap();
        assert!(changed(account()).await.is_empty(), "{}", db.name);
        assert!(changed(guest()).await.is_empty(), "{}", db.name);

        // Not the resident's to edit; not to another community.
        assert!(matches!(
            edit(s, &resident, id, reworded.clone()).await,
            Err(DomainError::Forbidden | DomainError::NotFound)
        ));
        let mut elsewhere = reworded.clone();
        elsewhere.community_id = community + 1_000;
        assert!(edit(s, &staff, id, elsewhere).await.is_err());

        // A new place: each invitee told once, with the new place.
        let mut moved = reworded.clone();
        moved.venue = "小河街道文化家园三楼".into();
        edit(s, &staff, id, moved.clone()).await.unwrap();
        for who in [account(), guest()] {
            let got = changed(who.clone()).await;
            assert_eq!(got.len(), 1, "{} {who}: {got:?}", db.name);
            assert!(got[0].contains("小河街道文化家园三楼"), "{}", got[0]);
        }
        let v = view(s, Some(Who::Account(&staff)), id).await.unwrap();
        assert_eq!(
            (v.title.as_str(), v.venue.as_str()),
            ("楼道飞线充电议事会（第二次）", "小河街道文化家园三楼")
        );

        // Live: the plan of the meeting is fixed.
        go_live(s, &staff, id).await.unwrap();
        assert!(matches!(
            edit(s, &staff, id, moved).await,
            Err(DomainError::Conflict(_))
        ));
        assert!(crate::audit::verify(s).await.unwrap().ok());
    }
}
