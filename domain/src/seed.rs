//! 演示数据 demo data: 小河街道 with communities, compounds and one account per role.
use rand::Rng;
use sea_orm::{EntityTrait, PaginatorTrait};

use crate::accounts::{self, Grant, Role, Scope};
use crate::entities::street;
use crate::error::DomainResult;
use crate::{Services, clock, org};

pub const STREET: &str = "小河街道";

/// Category of each demo matter (the corpus's `## key`).
fn demo_category(matter: Option<&str>) -> &'static str {
    match matter {
        Some("飞线充电" | "高空抛物") => "public_safety",
        Some("加装电梯" | "老年食堂" | "快递柜") => "public_service",
        Some(_) => "public_management",
        None => "other",
    }
}

/// The demo's opinions: a lively street generated from `nlp::corpus`
/// (several hundred opinions over three months, across channels and
/// communities), published, with the times and residents behind them.
/// Idempotent: each has a fixed key, so loading twice adds nothing.
/// Topics and heat follow from a recomputation.
pub async fn seed_opinions(s: &Services, communities: &[i64]) -> DomainResult<usize> {
    use sea_orm::sea_query::OnConflict;

    use crate::entities::opinion;
    use crate::opinions::{Channel, NewOpinion};
    if communities.is_empty() {
        return Ok(0);
    }
    let now = crate::clock::now();
    let street = nlp::corpus::generate(2026, communities.len());
    let rows: Vec<opinion::ActiveModel> = street
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let channel = match o.channel {
                "hotline" => Channel::Hotline,
                "crawler" => Channel::Crawler,
                "meeting" => Channel::Meeting,
                _ => Channel::Web,
            };
            let at = now - chrono::Duration::seconds(o.age_secs);
            let mut row = NewOpinion {
                community_id: communities[o.community],
                location: None,
                author_id: None,
                anonymous: false,
                channel,
                category: demo_category(o.matter).to_owned(),
                title: o.title.clone(),
                body: o.body.clone(),
                published: true,
                idempotency_key: Some(format!("demo:{i}")),
                source: None,
                received_at: Some(at),
                resident_key: Some(format!("demo:{}", o.resident)),
            }
            .into_row(at);
            row.published_at = sea_orm::Set(Some(at));
            row
        })
        .collect();
    let (_gate, txn) = s.begin_write().await?;
    let mut added = 0;
    for chunk in rows.chunks(200) {
        added += opinion::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::column(opinion::Column::IdempotencyKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(added as usize)
}

/// Communities and their compounds.
pub const COMMUNITIES: &[(&str, &[&str])] = &[
    ("长乐社区", &["长乐苑", "长乐新村"]),
    ("小河社区", &["小河佳苑", "小河公寓"]),
    ("红石板社区", &["红石板小区", "红石中央花园"]),
    ("双荡弄社区", &["双荡弄小区", "和睦新村"]),
];

#[derive(Clone, Debug)]
pub struct DemoAccount {
    pub role: Role,
    pub display_name: String,
    pub phone: String,
    pub password: String,
}

/// Whether the database has no organisation data yet.
pub async fn is_empty(s: &Services) -> DomainResult<bool> {
    Ok(street::Entity::find().count(&s.db).await? == 0)
}

pub fn random_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzACDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rngs::OsRng;
    (0..12)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Loads the demo organisation and one account per role. Idempotent: running
/// it again resets the demo accounts' passwords and adds nothing twice.
/// `password` fixes every demo password (for tests); otherwise each is random.
pub async fn seed_demo(s: &Services, password: Option<&str>) -> DomainResult<Vec<DemoAccount>> {
    let street_id = org::find_or_create_street(&s.db, STREET).await?;
    let mut first_community = 0;
    let mut first_compound = 0;
    for (i, (name, compounds)) in COMMUNITIES.iter().enumerate() {
        let cid = org::find_or_create_community(&s.db, street_id, name).await?;
        for (j, compound) in compounds.iter().enumerate() {
            let id = org::find_or_create_compound(&s.db, cid, compound).await?;
            if i == 0 && j == 0 {
                first_compound = id;
            }
        }
        if i == 0 {
            first_community = cid;
        }
    }
    crate::refdata::changed(&s.db).await?;
    let people: [(Role, &str, Scope); 8] = [
        (Role::Resident, "王阿姨", Scope::Community(first_community)),
        (Role::Staff, "李社工", Scope::Community(first_community)),
        (Role::StreetOfficer, "陈科长", Scope::Street(street_id)),
        (
            Role::GridWorker,
            "赵网格员",
            Scope::Compound(first_compound),
        ),
        (Role::Department, "城管中队", Scope::Global),
        (Role::Enterprise, "小河物业公司", Scope::Global),
        (Role::Supervisor, "周监督员", Scope::Street(street_id)),
        (Role::Admin, "系统管理员", Scope::Global),
    ];
    let mut out = Vec::new();
    for (i, (role, name, scope)) in people.into_iter().enumerate() {
        let phone = format!("1380000{:04}", i + 1);
        let pw = password.map(str::to_owned).unwrap_or_else(random_password);
        accounts::provision_account(
            s,
            &phone,
            &pw,
            name,
            Some(first_community),
            &[Grant { role, scope }],
        )
        .await?;
        out.push(DemoAccount {
            role,
            display_name: name.to_owned(),
            phone,
            password: pw,
        });
    }
    Ok(out)
}

/// The demo's life: [`seed_opinions`] in the demo communities, then topics
/// and heat. `hongcha seed-demo` runs it after [`seed_demo`]; tests that
/// need only the organisation and accounts leave it out.
pub async fn seed_demo_street(s: &Services) -> DomainResult<usize> {
    let mut ids = Vec::new();
    for name in COMMUNITIES.iter().map(|(n, _)| *n) {
        if let Some(c) = org::communities(s)
            .await?
            .into_iter()
            .find(|c| c.name == name)
        {
            ids.push(c.id);
        }
    }
    let added = seed_opinions(s, &ids).await?;
    crate::agenda::recompute(s, false, |_, _, _| {}).await?;
    crate::agenda::prevote::seed_demo(
        s,
        &[
            "应该先解决最多居民反映的问题",
            "这件事需要物业、社区和居民三方一起商量",
            "我愿意参加线下议事会讨论这件事",
        ],
    )
    .await?;
    Ok(added)
}

/// The rest of the loop for a newcomer to see: one hot matter taken up,
/// discussed at a (past) hybrid meeting with a poll, minutes and a rating,
/// and a plan under way with one task done and one in progress.
pub async fn seed_demo_loop(s: &Services) -> DomainResult<()> {
    use crate::entities::account;
    use crate::meetings::{self, Invitee, MeetingInput, Mode, MotionKind, Party, Who};
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let who = |phone: &'static str| async move {
        let a = account::Entity::find()
            .filter(account::Column::Phone.eq(phone))
            .one(&s.db)
            .await?
            .ok_or(crate::DomainError::NotFound)?;
        crate::accounts::principal_by_id(s, a.id)
            .await?
            .ok_or(crate::DomainError::NotFound)
    };
    let staff = who("13800000002").await?;
    let resident = who("13800000001").await?;
    let Some(community) = staff.community_id.or_else(|| {
        staff.grants.iter().find_map(|g| match g.scope {
            crate::Scope::Community(c) => Some(c),
            _ => None,
        })
    }) else {
        return Ok(());
    };
    // The hottest matter in the staff's community that is not the street
    // lights (the walkthrough and the tests take those up themselves).
    let ranking = crate::agenda::ranking(s, Some(community), 10).await?;
    let Some(topic) = ranking
        .iter()
        .find(|t| t.status == crate::agenda::status::OPEN && !t.title.contains("路灯"))
    else {
        return Ok(());
    };
    let title: String = topic.title.chars().take(20).collect();
    let accepted =
        crate::agenda::decide::accept(s, &staff, topic.id, &format!("{title}（议事）"), "").await?;
    let now = clock::now();
    let id = meetings::create(
        s,
        &staff,
        MeetingInput {
            community_id: community,
            title: format!("{title} 红茶议事会"),
            summary: "社区、物业和居民代表一起商量解决办法。".into(),
            mode: Mode::Hybrid,
            venue: "社区党群服务中心二楼会议室".into(),
            starts_at: now + chrono::Duration::minutes(30),
            minutes_long: 90,
            video_url: String::new(),
            agenda_items: vec![accepted.agenda_item],
            quorum: 2,
            majority_pct: 50,
        },
    )
    .await?;
    let guests = meetings::invite(
        s,
        &staff,
        id,
        vec![
            Invitee {
                account_id: Some(resident.account_id),
                name: String::new(),
                party: Party::Representative,
                phone: String::new(),
            },
            Invitee {
                account_id: None,
                name: "小河物业 张经理".into(),
                party: Party::Property,
                phone: "13911110000".into(),
            },
        ],
    )
    .await?;
    meetings::schedule(s, &staff, id).await?;
    meetings::go_live(s, &staff, id).await?;
    meetings::join_online(s, Who::Account(&resident), id).await?;
    meetings::staff_check_in(s, &staff, id, guests[1]).await?;
    let motion = meetings::open_motion(
        s,
        &staff,
        id,
        "同意按讨论的方案整改，物业牵头、社区监督",
        MotionKind::Motion,
        Vec::new(),
    )
    .await?;
    meetings::vote(s, Who::Account(&resident), motion, 0).await?;
    meetings::enter_vote(s, &staff, motion, guests[1], 0).await?;
    meetings::close_motion(s, &staff, motion).await?;
    let view = meetings::view(s, Some(Who::Account(&staff)), id).await?;
    meetings::save_minutes(
        s,
        &staff,
        id,
        Some("居民代表、物业和社区到会。与会人员一致同意整改方案：物业负责施工，社区每周跟进，完成后请居民评价。"),
        view.items
            .iter()
            .map(|i| (i.id, "同意整改，物业牵头、社区监督".to_owned()))
            .collect(),
    )
    .await?;
    meetings::close(s, &staff, id).await?;
    meetings::rate(s, Who::Account(&resident), id, 5, "大家都说上了话").await?;
    meetings::record_outcome_use(s, &staff, id, "纪要已报街道，整改列入本季度社区民生实事。")
        .await?;
    // The meeting took place ten days ago.
    let past = now - chrono::Duration::days(10);
    crate::meetings::entities::meeting::Entity::update_many()
        .col_expr(
            crate::meetings::entities::meeting::Column::StartsAt,
            past.into(),
        )
        .col_expr(
            crate::meetings::entities::meeting::Column::ClosedAt,
            Some(past + chrono::Duration::minutes(90)).into(),
        )
        .filter(crate::meetings::entities::meeting::Column::Id.eq(id))
        .exec(&s.db)
        .await?;
    let plan = crate::plans::create(
        s,
        &staff,
        crate::plans::NewPlan {
            community_id: community,
            agenda_item_id: Some(accepted.agenda_item),
            meeting_id: Some(id),
            title: format!("{title} 整改方案"),
            summary: "物业负责施工，社区每周跟进，居民代表监督。".into(),
        },
    )
    .await?;
    let task = |title: &str, days: i64| crate::plans::NewTask {
        title: title.into(),
        party: crate::plans::Party::Property,
        party_name: "小河物业".into(),
        assignee_id: None,
        deadline: now + chrono::Duration::days(days),
    };
    let first = crate::plans::add_task(s, &staff, plan, task("现场勘查并提出施工方案", 3)).await?;
    let second = crate::plans::add_task(s, &staff, plan, task("完成施工", 14)).await?;
    crate::plans::update_task(
        s,
        &staff,
        first,
        crate::plans::TaskChange {
            status: Some(crate::plans::TaskStatus::Done),
            note: "已勘查，方案已公示".into(),
            ..Default::default()
        },
    )
    .await?;
    crate::plans::update_task(
        s,
        &staff,
        second,
        crate::plans::TaskChange {
            status: Some(crate::plans::TaskStatus::Doing),
            progress: Some(40),
            note: "材料已到场".into(),
            ..Default::default()
        },
    )
    .await?;
    Ok(())
}
