//! The agenda module on a real (in-memory) SQLite with the real migrator:
//! the demo street ranks its planted matters, topics keep their ids across
//! recomputations, and publishing places an opinion into its topic at once.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::entities::topic_member;
use crate::entities::opinion;
use crate::opinions::{self, Decision, SubmitInput};
use crate::{Services, Settings, db, seed};

async fn services() -> Services {
    let conn = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&conn).await.unwrap();
    Services::new(conn, Settings::default())
}

/// The matter each demo opinion was planted from, by opinion id.
async fn matters(s: &Services) -> std::collections::HashMap<i64, Option<&'static str>> {
    let street = nlp::corpus::generate(2026, seed::COMMUNITIES.len());
    opinion::Entity::find()
        .filter(opinion::Column::IdempotencyKey.starts_with("demo:"))
        .all(&s.db)
        .await
        .unwrap()
        .into_iter()
        .map(|o| {
            let i: usize = o.idempotency_key.unwrap()[5..].parse().unwrap();
            (o.id, street[i].matter)
        })
        .collect()
}

#[tokio::test]
async fn the_demo_street_ranks_its_fresh_matters_and_keeps_topic_ids() {
    let s = services().await;
    seed::seed_demo(&s, Some("demo-pass-2026")).await.unwrap();
    seed::seed_demo_street(&s).await.unwrap();
    let matter_of = matters(&s).await;
    let fresh: std::collections::HashSet<&str> = nlp::corpus::matters()
        .into_iter()
        .filter(|m| m.kind == nlp::corpus::Kind::Fresh)
        .map(|m| m.key)
        .collect();
    let top = super::api_topics(&s, None, fresh.len() as u64)
        .await
        .unwrap();
    let mut seen = std::collections::HashSet::new();
    for t in &top.topics {
        let mut count = std::collections::HashMap::new();
        for id in &t.opinion_ids {
            *count.entry(matter_of[id]).or_insert(0) += 1;
        }
        let (m, _) = count.into_iter().max_by_key(|(_, n)| *n).unwrap();
        let m = m.expect("a topic of noise");
        assert!(fresh.contains(m), "{m} in the top: {}", t.title);
        assert!(seen.insert(m), "{m} twice in the top");
        // The breakdown adds up to the figure shown.
        let b = &t.breakdown;
        assert!((b.decayed_residents * b.spread + b.support_part - t.heat).abs() < 1e-6);
        assert!(t.explain.contains("位居民") && t.explain_en.contains("residents"));
        assert_eq!(t.trend.len(), 8);
        // What residents keep saying names the matter the topic is about.
        let d = super::topic(&s, t.id).await.unwrap();
        assert!(
            !d.phrases.is_empty() && d.phrases.len() <= super::TOPIC_PHRASES,
            "{:?}",
            d.phrases
        );
        assert!(
            t.keywords.iter().take(3).any(|k| d.phrases.contains(k)),
            "{:?} against {:?}",
            d.phrases,
            t.keywords
        );
    }
    assert_eq!(seen.len(), fresh.len());

    // A community's own ranking counts its own opinions only.
    let community = crate::org::communities(&s).await.unwrap()[0].id;
    let local = super::api_topics(&s, Some(community), 50).await.unwrap();
    assert!(!local.topics.is_empty());
    for t in &local.topics {
        let street = top.topics.iter().find(|x| x.id == t.id);
        if let Some(street) = street {
            assert!(t.heat <= street.heat + 1e-9);
        }
        assert!(t.breakdown.communities == 1, "{:?}", t.breakdown);
    }

    // Recomputing keeps every topic's id.
    let before: Vec<i64> = top.topics.iter().map(|t| t.id).collect();
    let again = super::recompute(&s, false, |_, _, _| {}).await.unwrap();
    assert_eq!(again.new_topics, 0, "{again:?}");
    let after = super::api_topics(&s, None, fresh.len() as u64)
        .await
        .unwrap();
    let mut a: Vec<i64> = after.topics.iter().map(|t| t.id).collect();
    let mut b = before.clone();
    a.sort_unstable();
    b.sort_unstable();
    assert_eq!(a, b);

    // Reanalysing refreshes the IDF from the street's own opinions first:
    // words every opinion uses weigh less; the ranking keeps its matters.
    let again = super::recompute(&s, true, |_, _, _| {}).await.unwrap();
    let (docs, terms) = again.idf_refresh.expect("refreshed");
    assert!(docs >= 300 && terms > 50, "{again:?}");
    assert_eq!(again.analysed, docs);
    let current = super::analyzer(&s).await.unwrap();
    assert!(current.get().idf().get("来电人") >= 0.0);
    assert!(
        current.get().idf().get("楼道") < nlp::Idf::shipped().get("楼道"),
        "a word the street uses often weighs less"
    );
    let top = super::api_topics(&s, None, fresh.len() as u64)
        .await
        .unwrap();
    assert_eq!(top.topics.len(), fresh.len());
}

#[tokio::test]
async fn a_published_opinion_joins_its_topic_at_once() {
    let s = services().await;
    seed::seed_demo(&s, Some("demo-pass-2026")).await.unwrap();
    seed::seed_demo_street(&s).await.unwrap();
    let resident = crate::testdb::principal(&s, "13800000001").await;
    let staff = crate::testdb::principal(&s, "13800000002").await;
    let community = resident.community_id.unwrap();
    let ranking = super::ranking(&s, None, 50).await.unwrap();
    let lamp = ranking
        .iter()
        .find(|t| t.keywords.first().map(String::as_str) == Some("路灯"))
        .expect("a street-light topic")
        .clone();
    let submitted = opinions::submit(
        &s,
        &resident,
        SubmitInput {
            community_id: community,
            location: String::new(),
            category: "public_management".into(),
            title: "楼下的路灯又坏了".into(),
            body: "3幢门口那盏路灯晚上不亮，老人出门怕摔，请尽快修一下。".into(),
            anonymous: false,
            idempotency_key: "lamp-1".into(),
        },
    )
    .await
    .unwrap();
    // Pending: not in any topic yet.
    assert!(
        super::topic_of_opinion(&s, submitted.id)
            .await
            .unwrap()
            .is_none()
    );
    // (Whatever the demo's publishing asked of the heat job is taken.)
    super::regroup_taken(&s);
    opinions::moderate(&s, &staff, submitted.id, Decision::Approve)
        .await
        .unwrap();
    let (topic, _, status) = super::topic_of_opinion(&s, submitted.id)
        .await
        .unwrap()
        .expect("placed into a topic");
    assert_eq!(topic, lamp.id);
    assert_eq!(status, super::status::OPEN);
    let now = super::topic(&s, lamp.id).await.unwrap();
    assert_eq!(now.card.breakdown.residents, lamp.breakdown.residents + 1);
    assert!(now.card.heat > lamp.heat);
    assert!(
        super::member_ids(&s, lamp.id)
            .await
            .unwrap()
            .contains(&submitted.id)
    );
    let m = topic_member::Entity::find_by_id(submitted.id)
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert!(!m.pinned);
    // Its keywords were stored from the public text.
    let row = opinion::Entity::find_by_id(submitted.id)
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert!(row.keywords.contains("路灯"), "{}", row.keywords);
    assert_eq!(
        row.resident_key.as_deref(),
        Some(format!("a:{}", resident.account_id).as_str())
    );
    // Placed: the heat job is not asked to regroup.
    let now = std::time::Duration::ZERO;
    assert!(!super::regroup_asked(&s, now));
    // A matter no topic is about stays alone, and the heat job is asked to
    // regroup soon (a new topic may start from it and the like).
    let lone = opinions::submit(
        &s,
        &resident,
        SubmitInput {
            community_id: community,
            location: String::new(),
            category: "public_management".into(),
            title: "建议社区开设书法兴趣班".into(),
            body: "退休老人想学毛笔字，希望社区活动室每周开一次书法课。".into(),
            anonymous: false,
            idempotency_key: "lone-1".into(),
        },
    )
    .await
    .unwrap();
    opinions::moderate(&s, &staff, lone.id, Decision::Approve)
        .await
        .unwrap();
    assert!(
        super::topic_of_opinion(&s, lone.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(super::regroup_asked(&s, now));
    // Not before the wait is over, and no longer once a regrouping took it.
    assert!(!super::regroup_asked(
        &s,
        std::time::Duration::from_secs(60)
    ));
    super::regroup_taken(&s);
    assert!(!super::regroup_asked(&s, now));
}

#[tokio::test]
async fn staff_decide_and_decisions_survive_recomputation() {
    use super::decide;
    use super::entities::{agenda_item, topic};
    use crate::entities::outbox;
    let s = services().await;
    seed::seed_demo(&s, Some("demo-pass-2026")).await.unwrap();
    seed::seed_demo_street(&s).await.unwrap();
    let staff = crate::testdb::principal(&s, "13800000002").await;
    let resident = crate::testdb::principal(&s, "13800000001").await;
    let admin = crate::testdb::principal(&s, "13800000008").await;
    let ranking = super::ranking(&s, None, 10).await.unwrap();
    let (a, b, c) = (ranking[0].id, ranking[1].id, ranking[2].id);

    // Residents decide nothing.
    assert!(matches!(
        decide::accept(&s, &resident, a, "楼道充电安全", "").await,
        Err(crate::DomainError::Forbidden)
    ));
    let suggested = decide::suggestions(&s, &staff, decide::SUGGEST_MIN_HEAT)
        .await
        .unwrap();
    assert!(suggested.iter().any(|t| t.id == a));

    // Accept: an agenda item, the authors told (a resident's own opinion
    // placed into the topic first, so there is an author to tell).
    let community = resident.community_id.unwrap();
    let mine = crate::opinions::submit(
        &s,
        &resident,
        crate::opinions::SubmitInput {
            community_id: community,
            location: String::new(),
            category: "public_safety".into(),
            title: "楼道里电瓶车充电".into(),
            body: "楼道里有人给电瓶车拉线充电，电线从窗户挂下来，太危险了。".into(),
            anonymous: false,
            idempotency_key: "ebike".into(),
        },
    )
    .await
    .unwrap();
    crate::opinions::moderate(&s, &staff, mine.id, crate::opinions::Decision::Approve)
        .await
        .unwrap();
    let (placed, _, _) = super::topic_of_opinion(&s, mine.id).await.unwrap().unwrap();
    let accepted = decide::accept(&s, &admin, placed, "楼道飞线充电整治", "增设充电桩")
        .await
        .unwrap();
    assert!(accepted.notified >= 1);
    let item = agenda_item::Entity::find_by_id(accepted.agenda_item)
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(item.topic_id, placed);
    let notices = outbox::Entity::find()
        .filter(outbox::Column::Recipient.eq(resident.account_id.to_string()))
        .all(&s.db)
        .await
        .unwrap();
    assert!(
        notices.iter().any(|n| n.body.contains("楼道飞线充电整治")),
        "{notices:?}"
    );
    assert!(matches!(
        decide::accept(&s, &admin, placed, "再来一次", "").await,
        Err(crate::DomainError::Conflict("topic_decided"))
    ));

    // Reject with a reason; merge; split.
    let open: Vec<i64> = super::ranking(&s, None, 20)
        .await
        .unwrap()
        .into_iter()
        .filter(|t| t.status == super::status::OPEN)
        .map(|t| t.id)
        .collect();
    let (r, m_from, m_into) = (open[0], open[1], open[2]);
    assert!(matches!(
        decide::reject(&s, &admin, r, "").await,
        Err(crate::DomainError::Validation { .. })
    ));
    decide::reject(&s, &admin, r, "已由物业在处理")
        .await
        .unwrap();
    let moved = super::member_ids(&s, m_from).await.unwrap();
    decide::merge(&s, &admin, m_from, m_into).await.unwrap();
    let into = super::member_ids(&s, m_into).await.unwrap();
    assert!(moved.iter().all(|id| into.contains(id)));
    let off = into[0];
    let new_topic = decide::split(&s, &admin, m_into, off).await.unwrap();
    assert_eq!(
        super::topic_of_opinion(&s, off).await.unwrap().unwrap().0,
        new_topic
    );

    // Regrouping keeps every decision.
    super::recompute(&s, false, |_, _, _| {}).await.unwrap();
    let t = |id| topic::Entity::find_by_id(id).one(&s.db);
    assert_eq!(t(placed).await.unwrap().unwrap().status, "accepted");
    assert!(
        super::member_ids(&s, placed)
            .await
            .unwrap()
            .contains(&mine.id)
    );
    let rejected = t(r).await.unwrap().unwrap();
    assert_eq!(
        (rejected.status.as_str(), rejected.reject_reason.as_deref()),
        ("rejected", Some("已由物业在处理"))
    );
    let merged = t(m_from).await.unwrap().unwrap();
    assert_eq!(
        (merged.status.as_str(), merged.merged_into),
        ("merged", Some(m_into))
    );
    let into_after = super::member_ids(&s, m_into).await.unwrap();
    assert!(
        moved
            .iter()
            .filter(|id| **id != off)
            .all(|id| into_after.contains(id))
    );
    assert_eq!(
        super::topic_of_opinion(&s, off).await.unwrap().unwrap().0,
        new_topic
    );
    let _ = (b, c);
}

#[tokio::test]
async fn a_prevote_takes_one_answer_per_resident_per_statement() {
    use super::prevote::{self, Choice, Verdict};
    let s = services().await;
    seed::seed_demo(&s, Some("demo-pass-2026")).await.unwrap();
    seed::seed_demo_street(&s).await.unwrap();
    let staff = crate::testdb::principal(&s, "13800000002").await;
    let resident = crate::testdb::principal(&s, "13800000001").await;
    let home = resident.community_id.unwrap();
    // The demo opened a pre-vote on the hottest topic: take the next.
    let mut topic = 0;
    for t in super::ranking(&s, Some(home), 10).await.unwrap() {
        let row = super::entities::topic::Entity::find_by_id(t.id)
            .one(&s.db)
            .await
            .unwrap()
            .unwrap();
        if row.prevote.is_none() && row.status == "open" {
            topic = t.id;
            break;
        }
    }
    assert_ne!(topic, 0);
    assert!(matches!(
        prevote::open(&s, &staff, topic, &["只有一条".into()]).await,
        Err(crate::DomainError::Validation { .. })
    ));
    assert!(matches!(
        prevote::open(&s, &resident, topic, &["一".into(), "二".into()]).await,
        Err(crate::DomainError::Forbidden)
    ));
    prevote::open(
        &s,
        &staff,
        topic,
        &[
            "应该在车棚增设充电桩".into(),
            "联系我 13912345678".into(),
            " ".into(),
        ],
    )
    .await
    .unwrap();
    let p = prevote::results(&s, Some(&resident), topic).await.unwrap();
    assert_eq!(p.state.as_deref(), Some("open"));
    assert_eq!(p.statements.len(), 2);
    assert!(
        p.statements[1].text.contains("139****5678"),
        "statements are masked"
    );
    let first = p.statements[0].id;
    prevote::answer(&s, &resident, first, Choice::Agree)
        .await
        .unwrap();
    assert!(matches!(
        prevote::answer(&s, &resident, first, Choice::Disagree).await,
        Err(crate::DomainError::Conflict("already_answered"))
    ));
    // Only residents of the topic's communities take part.
    let outsider = crate::accounts::provision_account(
        &s,
        "13900000009",
        "correct horse battery",
        "无社区居民",
        None,
        &[],
    )
    .await
    .unwrap();
    let outsider = crate::accounts::principal_by_id(&s, outsider)
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(
        prevote::answer(&s, &outsider, first, Choice::Agree).await,
        Err(crate::DomainError::Forbidden)
    ));
    // A resident of a community none of the topic's opinions come from.
    let street = crate::org::find_or_create_street(&s.db, seed::STREET)
        .await
        .unwrap();
    let elsewhere = crate::org::find_or_create_community(&s.db, street, "半山社区")
        .await
        .unwrap();
    let neighbour = crate::accounts::provision_account(
        &s,
        "13900000010",
        "correct horse battery",
        "半山居民",
        Some(elsewhere),
        &[],
    )
    .await
    .unwrap();
    let neighbour = crate::accounts::principal_by_id(&s, neighbour)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(neighbour.community_id, Some(elsewhere));
    assert!(matches!(
        prevote::answer(&s, &neighbour, first, Choice::Agree).await,
        Err(crate::DomainError::Forbidden)
    ));
    let p = prevote::results(&s, Some(&resident), topic).await.unwrap();
    assert_eq!(p.statements[0].agree, 1);
    assert_eq!(p.statements[0].mine, Some(Choice::Agree));
    assert_eq!(p.statements[0].verdict, Verdict::Unclear);
    assert_eq!(p.residents, 1);
    // Deciding keeps the results as the assessment and closes the vote.
    super::decide::reject(&s, &staff, topic, "先由物业试点")
        .await
        .unwrap();
    let t = super::entities::topic::Entity::find_by_id(topic)
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(t.prevote.as_deref(), Some("closed"));
    assert!(t.assessment.unwrap().contains("应该在车棚增设充电桩"));
    assert!(matches!(
        prevote::answer(&s, &resident, p.statements[1].id, Choice::Pass).await,
        Err(crate::DomainError::Conflict("prevote_closed"))
    ));
}
