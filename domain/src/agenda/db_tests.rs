//! The agenda module on a real (in-memory) SQLite with the real migrator:
//! the demo street ranks its planted matters, topics keep their ids across
//! recomputations, and publishing places an opinion into its topic at once.
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use super::entities::topic_member;
use crate::entities::{account, opinion};
use crate::opinions::{self, Decision, SubmitInput};
use crate::{Services, Settings, db, seed};

async fn services() -> Services {
    let conn = db::connect("sqlite::memory:").await.unwrap();
    db::migrate(&conn).await.unwrap();
    Services::new(conn, Settings::default())
}

async fn principal(s: &Services, phone: &str) -> crate::Principal {
    let a = account::Entity::find()
        .filter(account::Column::Phone.eq(phone))
        .one(&s.db)
        .await
        .unwrap()
        .unwrap();
    crate::accounts::principal_by_id(s, a.id)
        .await
        .unwrap()
        .unwrap()
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
}

#[tokio::test]
async fn a_published_opinion_joins_its_topic_at_once() {
    let s = services().await;
    seed::seed_demo(&s, Some("demo-pass-2026")).await.unwrap();
    seed::seed_demo_street(&s).await.unwrap();
    let resident = principal(&s, "13800000001").await;
    let staff = principal(&s, "13800000002").await;
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
    assert!(now.member_ids.contains(&submitted.id));
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
}
