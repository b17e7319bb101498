//! The register's pages: the list (search, building, industry, tag, review
//! state), one enterprise's file with its visits, manual tags and grade,
//! enterprise accounts, buildings with vacant space (找场地) and the
//! directory of providers and funding (找服务 / 找资金).
use chrono::NaiveDate;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
};
use serde::Serialize;

use super::entities::{ent_member, ent_provider, ent_tag, ent_visit, enterprise};
use super::{EnterpriseView, rules};
use crate::entities::{building, building_unit};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock};

/// Register rows per page.
pub const PAGE: u64 = 50;

/// What the register list is filtered by.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    pub q: String,
    pub building: Option<i64>,
    /// An industry section letter or code prefix.
    pub industry: String,
    pub tag: String,
    /// `pending` | `reviewed` | `flagged`
    pub review: String,
    pub page: u64,
}

/// The register as `actor` reaches it, filtered, a page at a time, with
/// the total.
pub async fn list(
    s: &Services,
    actor: &Principal,
    f: &Filter,
) -> DomainResult<(Vec<EnterpriseView>, u64)> {
    use sea_orm::PaginatorTrait;
    let reach = super::reader_reach(&s.db, actor).await?;
    let buildings = super::buildings_by_id(&s.db).await?;
    let mut q = enterprise::Entity::find();
    if !reach.all {
        q = q.filter(enterprise::Column::BuildingId.is_in(reach.building_ids(&buildings)));
    }
    if f.industry.chars().count() > 5 || f.tag.chars().count() > 40 {
        return Err(DomainError::validation("q", "too_long"));
    }
    let text = f.q.trim();
    if !text.is_empty() {
        if text.chars().count() > 50 {
            return Err(DomainError::validation("q", "too_long"));
        }
        q = q.filter(
            Condition::any()
                .add(crate::db::contains(enterprise::Column::Name, text))
                .add(crate::db::contains(
                    enterprise::Column::CreditCode,
                    &text.to_uppercase(),
                )),
        );
    }
    if let Some(b) = f.building {
        q = q.filter(enterprise::Column::BuildingId.eq(b));
    }
    if !f.industry.trim().is_empty() {
        q = q.filter(crate::db::starts_with(
            enterprise::Column::IndustryCode,
            &f.industry.trim().to_ascii_uppercase(),
        ));
    }
    if !f.tag.trim().is_empty() {
        q = q.filter(
            enterprise::Column::Id.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(ent_tag::Column::EnterpriseId)
                    .from(ent_tag::Entity)
                    .and_where(ent_tag::Column::Tag.eq(f.tag.trim()))
                    .to_owned(),
            ),
        );
    }
    match f.review.as_str() {
        "" => {}
        "flagged" => q = q.filter(enterprise::Column::CodeState.eq("flagged")),
        r @ ("pending" | "reviewed") => q = q.filter(enterprise::Column::ReviewState.eq(r)),
        _ => return Err(DomainError::validation("review", "invalid")),
    }
    let total = q.clone().count(&s.db).await?;
    let rows = q
        .order_by_asc(enterprise::Column::Name)
        .order_by_asc(enterprise::Column::Id)
        .offset(f.page.min(10_000) * PAGE)
        .limit(PAGE)
        .all(&s.db)
        .await?;
    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
    let mut tags = super::tags_of(&s.db, Some(&ids)).await?;
    Ok((
        rows.into_iter()
            .map(|e| {
                let t = tags.remove(&e.id).unwrap_or_default();
                super::view_of(e, &buildings, t)
            })
            .collect(),
        total,
    ))
}

/// A visit as listed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VisitView {
    pub id: i64,
    pub visited_on: Option<NaiveDate>,
    pub note: String,
    pub follow_up: Option<String>,
    pub follow_up_done: bool,
}

/// One enterprise's file, for whoever reaches it (its own accounts too).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct File {
    pub enterprise: EnterpriseView,
    pub visits: Vec<VisitView>,
    /// Whether the viewer works on the register (may review, tag, visit).
    pub staff: bool,
}

pub async fn file(s: &Services, actor: &Principal, id: i64) -> DomainResult<File> {
    let reach = super::reach_of(&s.db, actor).await?;
    let e = enterprise::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let buildings = super::buildings_by_id(&s.db).await?;
    let community = e
        .building_id
        .and_then(|b| buildings.get(&b))
        .map(|b| b.community_id);
    if !reach.reaches(&e, community) {
        return Err(DomainError::NotFound);
    }
    let staff = reach.is_staff();
    let visits = if staff {
        ent_visit::Entity::find()
            .filter(ent_visit::Column::EnterpriseId.eq(id))
            .order_by_desc(ent_visit::Column::Id)
            .limit(50)
            .all(&s.db)
            .await?
            .into_iter()
            .map(|v| VisitView {
                id: v.id,
                visited_on: v.visited_on,
                note: v.note,
                follow_up: v.follow_up,
                follow_up_done: v.follow_up_done,
            })
            .collect()
    } else {
        Vec::new()
    };
    let tags = super::tags_of(&s.db, Some(&[id])).await?;
    Ok(File {
        enterprise: super::view_of(e, &buildings, tags.get(&id).cloned().unwrap_or_default()),
        visits,
        staff,
    })
}

/// The enterprise `actor`'s account acts for, if any.
pub async fn own_enterprise(s: &Services, actor: &Principal) -> DomainResult<Option<i64>> {
    Ok(super::reach_of(&s.db, actor).await?.own)
}

async fn staff_enterprise(
    s: &Services,
    actor: &Principal,
    id: i64,
) -> DomainResult<enterprise::Model> {
    let f = file(s, actor, id).await?;
    if !f.staff {
        return Err(DomainError::NotFound);
    }
    enterprise::Entity::find_by_id(id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)
}

/// 走楼访企: staff record a visit (note and follow-up masked), audited.
pub async fn log_visit(
    s: &Services,
    actor: &Principal,
    id: i64,
    visited_on: Option<NaiveDate>,
    note: &str,
    follow_up: &str,
) -> DomainResult<i64> {
    staff_enterprise(s, actor, id).await?;
    let note = nlp::mask(&crate::opinions::clean(note, "note", 2, 2000)?);
    let follow_up = nlp::mask(&crate::opinions::clean(follow_up, "follow_up", 0, 1000)?);
    let today = super::today();
    let visited_on = visited_on.unwrap_or(today);
    if visited_on > today {
        return Err(DomainError::validation("visited_on", "in_future"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let v = ent_visit::ActiveModel {
        enterprise_id: Set(id),
        staff_id: Set(actor.account_id),
        visited_on: Set(Some(visited_on)),
        note: Set(note.clone()),
        follow_up: Set((!follow_up.is_empty()).then_some(follow_up)),
        follow_up_done: Set(false),
        created_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.visit",
        &format!("enterprise:{id}"),
        serde_json::json!({"visit": v.id, "note": note}),
    )
    .await?;
    txn.commit().await?;
    Ok(v.id)
}

/// Staff mark a visit's follow-up done (once; a visit with no follow-up
/// has nothing to finish). Audited.
pub async fn finish_follow_up(s: &Services, actor: &Principal, visit_id: i64) -> DomainResult<()> {
    let v = ent_visit::Entity::find_by_id(visit_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    // Another building's visit is "not found", like its enterprise.
    staff_enterprise(s, actor, v.enterprise_id).await?;
    if v.follow_up.is_none() {
        return Err(DomainError::Conflict("no_follow_up"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let done = ent_visit::Entity::update_many()
        .col_expr(ent_visit::Column::FollowUpDone, true.into())
        .filter(ent_visit::Column::Id.eq(visit_id))
        .filter(ent_visit::Column::FollowUpDone.eq(false))
        .exec(&txn)
        .await?;
    if done.rows_affected == 0 {
        return Err(DomainError::Conflict("follow_up_done"));
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.visit.follow_up_done",
        &format!("enterprise:{}", v.enterprise_id),
        serde_json::json!({"visit": visit_id}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Staff set an enterprise's manual tags (from [`rules::MANUAL_TAGS`]) and
/// its grade (A, B, C or none); rule tags are recomputed. Audited.
pub async fn set_tags(
    s: &Services,
    actor: &Principal,
    id: i64,
    tags: &[String],
    grade: Option<&str>,
) -> DomainResult<()> {
    staff_enterprise(s, actor, id).await?;
    if tags
        .iter()
        .any(|t| !rules::MANUAL_TAGS.contains(&t.as_str()))
    {
        return Err(DomainError::validation("tags", "invalid"));
    }
    let grade = match grade.map(str::trim).filter(|g| !g.is_empty()) {
        None => None,
        Some(g @ ("A" | "B" | "C")) => Some(g.to_owned()),
        Some(_) => return Err(DomainError::validation("grade", "invalid")),
    };
    let (_gate, txn) = s.begin_write().await?;
    ent_tag::Entity::delete_many()
        .filter(ent_tag::Column::EnterpriseId.eq(id))
        .filter(ent_tag::Column::Source.eq("manual"))
        .exec(&txn)
        .await?;
    for t in tags {
        ent_tag::Entity::insert(ent_tag::ActiveModel {
            enterprise_id: Set(id),
            tag: Set(t.clone()),
            source: Set("manual".to_owned()),
            ..Default::default()
        })
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                ent_tag::Column::EnterpriseId,
                ent_tag::Column::Tag,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    enterprise::Entity::update_many()
        .col_expr(enterprise::Column::Grade, grade.clone().into())
        .col_expr(enterprise::Column::UpdatedAt, clock::now().into())
        .filter(enterprise::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    let e = enterprise::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    let buildings = super::buildings_by_id(&txn).await?;
    super::retag(&txn, std::slice::from_ref(&e), &buildings, super::today()).await?;
    super::policy::push_due(&txn, Some(&[id]), super::today(), clock::now()).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.tags",
        &format!("enterprise:{id}"),
        serde_json::json!({"tags": tags, "grade": grade}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Links an account (by its phone) to an enterprise it acts for; admins
/// and the street office, audited. An account acts for one enterprise. It
/// is given the `enterprise` role too (when it has not got it), so its
/// work area (`/tasks`) leads it to the enterprise's pages.
pub async fn link_account(
    s: &Services,
    actor: &Principal,
    enterprise_id: i64,
    phone: &str,
) -> DomainResult<()> {
    super::require_street(actor)?;
    let phone = crate::import::parse_contact_phone(phone)
        .ok_or(DomainError::validation("phone", "invalid"))?;
    let acct = crate::entities::account::Entity::find()
        .filter(crate::entities::account::Column::Phone.eq(phone))
        .one(&s.db)
        .await?
        .ok_or(DomainError::validation("phone", "no_account"))?;
    enterprise::Entity::find_by_id(enterprise_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let (_gate, txn) = s.begin_write().await?;
    if ent_member::Entity::find()
        .filter(ent_member::Column::AccountId.eq(acct.id))
        .one(&txn)
        .await?
        .is_some()
    {
        return Err(DomainError::Conflict("account_linked"));
    }
    ent_member::ActiveModel {
        account_id: Set(acct.id),
        enterprise_id: Set(enterprise_id),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let role_added = crate::accounts::ensure_grant(
        &txn,
        acct.id,
        crate::accounts::Grant {
            role: crate::accounts::Role::Enterprise,
            scope: crate::accounts::Scope::Global,
        },
        Some(actor.account_id),
    )
    .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.member.link",
        &format!("enterprise:{enterprise_id}"),
        serde_json::json!({"account": acct.id, "role_added": role_added}),
    )
    .await?;
    super::policy::push_due(&txn, Some(&[enterprise_id]), super::today(), clock::now()).await?;
    txn.commit().await?;
    Ok(())
}

/// A vacant unit (找场地).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Space {
    pub building: String,
    pub address: Option<String>,
    pub unit: String,
    pub area: Option<f64>,
    pub rent_guide: Option<f64>,
    pub note: Option<String>,
    pub property_company: Option<String>,
}

/// Vacant units, largest first, optionally at least `min_area` ㎡ (anyone
/// signed in: it is what the street offers).
pub async fn spaces(s: &Services, min_area: Option<f64>) -> DomainResult<Vec<Space>> {
    let buildings = super::buildings_by_id(&s.db).await?;
    let mut q = building_unit::Entity::find().filter(building_unit::Column::Vacant.eq(true));
    if let Some(a) = min_area.filter(|a| a.is_finite() && *a > 0.0) {
        q = q.filter(building_unit::Column::Area.gte(a));
    }
    Ok(q.order_by_desc(building_unit::Column::Area)
        .limit(200)
        .all(&s.db)
        .await?
        .into_iter()
        .filter_map(|u| {
            let b = buildings.get(&u.building_id)?;
            Some(Space {
                building: b.name.clone(),
                address: b.address.clone(),
                unit: u.name,
                area: u.area,
                rent_guide: u.rent_guide.or(b.rent_guide),
                note: u.note.as_deref().map(nlp::mask),
                property_company: b.property_company.clone(),
            })
        })
        .collect())
}

/// Kinds of provider (找服务) and funding (找资金).
pub const PROVIDER_KINDS: &[(&str, &str)] = &[
    ("bank", "银行"),
    ("investor", "投资机构"),
    ("accounting", "会计事务所"),
    ("law", "律师事务所"),
    ("broker", "券商"),
    ("funding", "资金项目"),
];

/// Providers of a kind (or all) whose name or services name `need`.
pub async fn providers(
    s: &Services,
    kind: &str,
    need: &str,
) -> DomainResult<Vec<ent_provider::Model>> {
    let mut q = ent_provider::Entity::find();
    if !kind.is_empty() {
        if !PROVIDER_KINDS.iter().any(|(k, _)| *k == kind) {
            return Err(DomainError::validation("kind", "invalid"));
        }
        q = q.filter(ent_provider::Column::Kind.eq(kind));
    }
    let need = need.trim();
    if need.chars().count() > 40 {
        return Err(DomainError::validation("q", "too_long"));
    }
    if !need.is_empty() {
        q = q.filter(
            Condition::any()
                .add(crate::db::contains(ent_provider::Column::Name, need))
                .add(crate::db::contains(ent_provider::Column::Services, need)),
        );
    }
    Ok(q.order_by_asc(ent_provider::Column::Kind)
        .order_by_asc(ent_provider::Column::Id)
        .limit(100)
        .all(&s.db)
        .await?)
}

/// A provider or funding programme as the street office writes it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProviderInput {
    pub kind: String,
    pub name: String,
    /// What they offer (searched by need).
    pub services: String,
    pub contact: String,
    /// Their site: `http(s)://` only, no user name or password in it.
    pub url: String,
}

/// A web address fit to link to: `http` or `https`, a host, no
/// credentials, no spaces or control characters, at most 200 characters.
fn provider_url(raw: &str) -> DomainResult<Option<String>> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || DomainError::validation("url", "invalid");
    if raw.chars().count() > 200 || raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad());
    }
    let u = url::Url::parse(raw).map_err(|_| bad())?;
    if !matches!(u.scheme(), "http" | "https")
        || u.host_str().is_none_or(str::is_empty)
        || !u.username().is_empty()
        || u.password().is_some()
    {
        return Err(bad());
    }
    Ok(Some(u.to_string()))
}

/// The street office adds (`id` none) or changes a provider of 找服务 /
/// 找资金. Audited.
pub async fn save_provider(
    s: &Services,
    actor: &Principal,
    id: Option<i64>,
    input: &ProviderInput,
) -> DomainResult<i64> {
    super::require_street(actor)?;
    if !PROVIDER_KINDS.iter().any(|(k, _)| *k == input.kind) {
        return Err(DomainError::validation("kind", "invalid"));
    }
    let name = crate::opinions::clean(&input.name, "name", 2, 100)?;
    let services = crate::opinions::clean(&input.services, "services", 2, 500)?;
    let contact = crate::opinions::clean(&input.contact, "contact", 0, 100)?;
    let url = provider_url(&input.url)?;
    let (_gate, txn) = s.begin_write().await?;
    let row = ent_provider::ActiveModel {
        kind: Set(input.kind.clone()),
        name: Set(name.clone()),
        services: Set(services),
        contact: Set((!contact.is_empty()).then_some(contact)),
        url: Set(url),
        ..Default::default()
    };
    let id = match id {
        Some(id) => {
            let mut row = row;
            ent_provider::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(DomainError::NotFound)?;
            row.id = Set(id);
            ent_provider::Entity::update(row).exec(&txn).await?;
            id
        }
        None => {
            let mut row = row;
            row.created_at = Set(clock::now());
            row.insert(&txn).await?.id
        }
    };
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.provider.save",
        &format!("ent_provider:{id}"),
        serde_json::json!({"kind": input.kind, "name": name}),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// The street office takes a provider off the directory. Audited.
pub async fn remove_provider(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    super::require_street(actor)?;
    let (_gate, txn) = s.begin_write().await?;
    let p = ent_provider::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    ent_provider::Entity::delete_by_id(id).exec(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "enterprise.provider.remove",
        &format!("ent_provider:{id}"),
        serde_json::json!({"kind": p.kind, "name": p.name}),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Buildings with their units' totals (for the register's filters).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildingRow {
    pub id: i64,
    pub code: String,
    pub name: String,
}

pub async fn buildings(s: &Services) -> DomainResult<Vec<BuildingRow>> {
    Ok(building::Entity::find()
        .order_by_asc(building::Column::Code)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|b| BuildingRow {
            id: b.id,
            code: b.code,
            name: b.name,
        })
        .collect())
}
