//! 民意 opinions: submission, similar-opinion hints, moderation, public
//! listing, support and abuse reports.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;

use crate::accounts::Principal;
use crate::entities::{opinion, opinion_support};
use crate::error::{DomainError, DomainResult};
use crate::moderation::{self, may_moderate, staff_communities};
use crate::{Services, clock};

pub const TITLE_MAX: usize = 80;
pub const BODY_MAX: usize = 2000;
pub const LOCATION_MAX: usize = 64;

/// Where an opinion came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Web,
    Import,
    Crawler,
    Meeting,
    /// A 12345 hotline work order.
    Hotline,
    /// A paper form typed up by staff.
    Paper,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Web => "web",
            Channel::Import => "import",
            Channel::Crawler => "crawler",
            Channel::Meeting => "meeting",
            Channel::Hotline => "hotline",
            Channel::Paper => "paper",
        }
    }

    /// A channel as spreadsheets name it (渠道 column); blank is `import`.
    pub fn from_label(label: &str) -> Option<Channel> {
        let l = nlp::text::normalise(label);
        Some(match l.as_str() {
            "" | "导入" | "import" => Channel::Import,
            "12345" | "热线" | "市民热线" | "12345热线" | "电话" | "来电" | "hotline" => {
                Channel::Hotline
            }
            "网上" | "网站" | "网络" | "网上提交" | "web" => Channel::Web,
            "论坛" | "网页" | "网页采集" | "crawler" => Channel::Crawler,
            "会议" | "议事会" | "议事会现场" | "meeting" => Channel::Meeting,
            "纸质" | "纸质表单" | "表单" | "来信" | "信件" | "paper" => Channel::Paper,
            _ => return None,
        })
    }
}

pub mod status {
    pub const PENDING: &str = "pending";
    pub const PUBLISHED: &str = "published";
    pub const REJECTED: &str = "rejected";
    pub const MERGED: &str = "merged";
    /// The statuses anyone may list. Later stages of the loop (in
    /// discussion, being handled, done) join this list.
    pub const PUBLIC: &[&str] = &[PUBLISHED];
}

pub struct SubmitInput {
    pub community_id: i64,
    pub location: String,
    pub category: String,
    pub title: String,
    pub body: String,
    pub anonymous: bool,
    /// A client-made key: the same key twice creates one opinion.
    pub idempotency_key: String,
}

pub(crate) fn clean(
    raw: &str,
    field: &'static str,
    min: usize,
    max: usize,
) -> DomainResult<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n < min {
        return Err(DomainError::validation(
            field,
            if n == 0 { "required" } else { "too_short" },
        ));
    }
    if n > max {
        return Err(DomainError::validation(field, "too_long"));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(DomainError::validation(field, "invalid"));
    }
    Ok(t.to_owned())
}

/// A client-made key (letters, digits, dashes; at most 48) scoped to the
/// account, so one resident's key can never collide with another's.
pub(crate) fn idempotency_key(actor: &Principal, raw: &str) -> DomainResult<Option<String>> {
    let key = raw.trim();
    if key.len() > 48
        || key
            .chars()
            .any(|c| !(c.is_ascii_alphanumeric() || c == '-'))
    {
        return Err(DomainError::validation("idempotency_key", "invalid"));
    }
    Ok((!key.is_empty()).then(|| format!("{}:{key}", actor.account_id)))
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub id: i64,
    /// False when the idempotency key had already been used: nothing new was stored.
    pub created: bool,
}

/// Counts one post (opinion or comment) against the resident's budget
/// (`Limits::post_per_account`). Staff and other officials are not limited:
/// they enter what residents told them on paper or on site.
pub(crate) async fn count_post(s: &Services, actor: &Principal) -> DomainResult<()> {
    if actor
        .grants
        .iter()
        .any(|g| g.role != crate::accounts::Role::Resident)
    {
        return Ok(());
    }
    s.hit(
        crate::ratelimit::Bucket::PostAccount,
        &actor.account_id.to_string(),
    )
    .await
}

/// Gives the post back when nothing new was stored (a retried key, or the
/// post was refused after it was counted).
pub(crate) async fn settle_post(
    s: &Services,
    actor: &Principal,
    outcome: DomainResult<Submitted>,
) -> DomainResult<Submitted> {
    if !matches!(outcome, Ok(Submitted { created: true, .. })) {
        s.refund(
            crate::ratelimit::Bucket::PostAccount,
            &actor.account_id.to_string(),
        )
        .await;
    }
    outcome
}

/// What every channel knows about a new opinion (form, import, crawler).
pub(crate) struct NewOpinion {
    pub community_id: i64,
    pub location: Option<String>,
    pub author_id: Option<i64>,
    pub anonymous: bool,
    pub channel: Channel,
    pub category: String,
    pub title: String,
    pub body: String,
    pub published: bool,
    pub idempotency_key: Option<String>,
    pub source: Option<(i64, String)>,
    /// When the original was received (imports), if earlier.
    pub received_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Who stands behind it, when the channel knows (see `agenda::voice`).
    pub resident_key: Option<String>,
}

impl NewOpinion {
    /// The one place an opinion row is built: the original text for staff,
    /// the masked copy for everyone else, counters at zero, the status the
    /// channel allows.
    pub(crate) fn into_row(self, now: chrono::DateTime<chrono::Utc>) -> opinion::ActiveModel {
        let (source_id, source_url) = match self.source {
            Some((id, url)) => (Some(id), Some(url)),
            None => (None, None),
        };
        opinion::ActiveModel {
            community_id: Set(self.community_id),
            location: Set(self.location),
            author_id: Set(self.author_id),
            anonymous: Set(self.anonymous),
            channel: Set(self.channel.as_str().to_owned()),
            category: Set(self.category),
            title_public: Set(nlp::mask(&self.title)),
            body_public: Set(nlp::mask(&self.body)),
            title: Set(self.title),
            body: Set(self.body),
            status: Set(if self.published {
                status::PUBLISHED
            } else {
                status::PENDING
            }
            .to_owned()),
            published_at: Set(self.published.then_some(now)),
            idempotency_key: Set(self.idempotency_key),
            supports: Set(0),
            reports: Set(0),
            hidden: Set(false),
            source_url: Set(source_url),
            source_id: Set(source_id),
            created_at: Set(now),
            updated_at: Set(now),
            keywords: Set(String::new()),
            fingerprint: Set(0),
            resident_key: Set(self.resident_key),
            received_at: Set(self.received_at),
            ..Default::default()
        }
    }
}

/// A resident submits an opinion from the web form. It waits for moderation.
pub async fn submit(
    s: &Services,
    actor: &Principal,
    input: SubmitInput,
) -> DomainResult<Submitted> {
    let title = clean(&input.title, "title", 4, TITLE_MAX)?;
    let body = clean(&input.body, "body", 10, BODY_MAX)?;
    let location = clean(&input.location, "location", 0, LOCATION_MAX)?;
    let category = input.category.trim().to_owned();
    let key = idempotency_key(actor, &input.idempotency_key)?;
    if !crate::categories::valid_code(&category) {
        return Err(DomainError::validation("category", "invalid"));
    }
    count_post(s, actor).await?;
    let now = clock::now();
    let row = NewOpinion {
        community_id: input.community_id,
        location: (!location.is_empty()).then_some(location),
        author_id: Some(actor.account_id),
        anonymous: input.anonymous,
        channel: Channel::Web,
        category: category.clone(),
        title,
        body,
        published: false,
        idempotency_key: key.clone(),
        source: None,
        received_at: None,
        resident_key: Some(format!("a:{}", actor.account_id)),
    }
    .into_row(now);
    // Committed (group commit: see `group_commit`) before we answer: an
    // acknowledged opinion is durable. The writer checks that the community
    // exists and the category is active in the same transaction.
    let submission = crate::group_commit::Submission {
        row,
        community_id: input.community_id,
        category,
        key,
    };
    let outcome = s.submissions.write(&s.db, &s.write_gate, submission).await;
    settle_post(s, actor, outcome).await
}

/// An opinion as the public (or its viewer) may see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OpinionView {
    pub id: i64,
    pub community_id: i64,
    pub community_name: String,
    pub location: Option<String>,
    pub category: String,
    /// The category's names (zh, en); the code when it is unknown.
    pub category_zh: String,
    pub category_en: String,
    pub channel: String,
    pub title: String,
    pub body: String,
    /// "匿名居民" when anonymous to this viewer, else the display name.
    pub author: Option<String>,
    pub status: String,
    pub reject_reason: Option<String>,
    pub merged_into: Option<i64>,
    pub supports: i32,
    pub hidden: bool,
    pub created_at: String,
    /// Whether this viewer sees the unmasked original (staff of the community).
    pub original: bool,
    /// Whether the viewer wrote it.
    pub own: bool,
}

/// What a view of an opinion reads: only the columns it shows, the
/// author's display name joined in (never the account row), and the
/// unmasked originals only for a viewer who moderates somewhere.
#[derive(Debug, sea_orm::FromQueryResult)]
struct Row {
    id: i64,
    community_id: i64,
    location: Option<String>,
    author_id: Option<i64>,
    author_name: Option<String>,
    anonymous: bool,
    channel: String,
    category: String,
    title_public: String,
    body_public: String,
    /// Present only when the viewer moderates somewhere.
    title: Option<String>,
    body: Option<String>,
    status: String,
    reject_reason: Option<String>,
    merged_into: Option<i64>,
    supports: i32,
    hidden: bool,
    created_at: chrono::DateTime<chrono::Utc>,
}

/// One query for any list or single view: the projection of [`Row`].
fn rows_for(viewer: Option<&Principal>) -> sea_orm::Select<opinion::Entity> {
    use crate::entities::account;
    use opinion::Column as C;
    use sea_orm::{JoinType, RelationTrait as _};
    let moderates_somewhere =
        viewer.is_some_and(|v| staff_communities(v).is_none_or(|cs| !cs.is_empty()));
    let mut q = opinion::Entity::find().select_only().columns([
        C::Id,
        C::CommunityId,
        C::Location,
        C::AuthorId,
        C::Anonymous,
        C::Channel,
        C::Category,
        C::TitlePublic,
        C::BodyPublic,
        C::Status,
        C::RejectReason,
        C::MergedInto,
        C::Supports,
        C::Hidden,
        C::CreatedAt,
    ]);
    q = if moderates_somewhere {
        q.columns([C::Title, C::Body])
    } else {
        q.expr_as(Expr::cust("NULL"), "title")
            .expr_as(Expr::cust("NULL"), "body")
    };
    q.column_as(account::Column::DisplayName, "author_name")
        .join(JoinType::LeftJoin, opinion::Relation::Author.def())
}

async fn view_of(
    s: &Services,
    viewer: Option<&Principal>,
    rows: Vec<Row>,
) -> DomainResult<Vec<OpinionView>> {
    // One reference-data read (a version check) for the whole page.
    let crate::refdata::RefData {
        communities,
        categories,
    } = crate::refdata::get(s).await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let staff = viewer.is_some_and(|v| may_moderate(v, r.community_id));
            let own = viewer.is_some_and(|v| Some(v.account_id) == r.author_id);
            let author = if r.anonymous && !staff && !own {
                Some("anonymous".to_owned())
            } else {
                r.author_name
            };
            let category = categories.iter().find(|c| c.code == r.category);
            OpinionView {
                id: r.id,
                community_id: r.community_id,
                community_name: communities
                    .iter()
                    .find(|c| c.id == r.community_id)
                    .map(|c| c.name.clone())
                    .unwrap_or_default(),
                location: r.location.map(|l| if staff { l } else { nlp::mask(&l) }),
                category_zh: category.map_or_else(|| r.category.clone(), |c| c.name_zh.clone()),
                category_en: category.map_or_else(|| r.category.clone(), |c| c.name_en.clone()),
                category: r.category,
                channel: r.channel,
                title: r.title.filter(|_| staff).unwrap_or(r.title_public),
                body: r.body.filter(|_| staff).unwrap_or(r.body_public),
                author,
                status: r.status,
                reject_reason: r.reject_reason,
                merged_into: r.merged_into,
                supports: r.supports,
                hidden: r.hidden,
                created_at: r
                    .created_at
                    .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                original: staff,
                own,
            }
        })
        .collect())
}

#[derive(Clone, Debug, Default)]
pub struct ListFilter {
    pub community_id: Option<i64>,
    pub category: Option<String>,
    pub channel: Option<String>,
    /// One of [`status::PUBLIC`]; `None` for all of them.
    pub status: Option<String>,
    /// Keyset pagination: only opinions with a smaller id.
    pub before_id: Option<i64>,
    pub limit: u64,
}

/// Published, visible opinions, newest first. Keyset pagination keeps every
/// page as fast as the first, however many opinions there are.
pub async fn list_public(
    s: &Services,
    viewer: Option<&Principal>,
    f: ListFilter,
) -> DomainResult<Vec<OpinionView>> {
    let statuses: Vec<&str> = match f.status.as_deref().filter(|s| !s.is_empty()) {
        Some(st) => vec![
            *status::PUBLIC
                .iter()
                .find(|p| **p == st)
                .ok_or(DomainError::validation("status", "invalid"))?,
        ],
        None => status::PUBLIC.to_vec(),
    };
    let mut q = rows_for(viewer)
        .filter(opinion::Column::Status.is_in(statuses))
        .filter(opinion::Column::Hidden.eq(false));
    if let Some(c) = f.community_id {
        q = q.filter(opinion::Column::CommunityId.eq(c));
    }
    if let Some(c) = f.category.filter(|c| !c.is_empty()) {
        if c.len() > 32 {
            return Err(DomainError::validation("category", "invalid"));
        }
        q = q.filter(opinion::Column::Category.eq(c));
    }
    if let Some(c) = f.channel.filter(|c| !c.is_empty()) {
        q = q.filter(opinion::Column::Channel.eq(c));
    }
    if let Some(b) = f.before_id {
        q = q.filter(opinion::Column::Id.lt(b));
    }
    let rows = q
        .order_by_desc(opinion::Column::Id)
        .limit(f.limit.clamp(1, 100))
        .into_model::<Row>()
        .all(&s.db)
        .await?;
    view_of(s, viewer, rows).await
}

/// One opinion: published ones for everybody; any status for its author and
/// for staff of its community.
pub async fn detail(
    s: &Services,
    viewer: Option<&Principal>,
    id: i64,
) -> DomainResult<OpinionView> {
    let row = rows_for(viewer)
        .filter(opinion::Column::Id.eq(id))
        .into_model::<Row>()
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    let staff = viewer.is_some_and(|v| may_moderate(v, row.community_id));
    let own = viewer.is_some_and(|v| Some(v.account_id) == row.author_id);
    let public = row.status == status::PUBLISHED && !row.hidden;
    if !(public || staff || own) {
        return Err(DomainError::NotFound);
    }
    Ok(view_of(s, viewer, vec![row]).await?.remove(0))
}

/// The viewer's own opinions, newest first, with where each went.
pub async fn mine(s: &Services, actor: &Principal) -> DomainResult<Vec<OpinionView>> {
    let rows = rows_for(Some(actor))
        .filter(opinion::Column::AuthorId.eq(actor.account_id))
        .order_by_desc(opinion::Column::Id)
        .limit(100)
        .into_model::<Row>()
        .all(&s.db)
        .await?;
    view_of(s, Some(actor), rows).await
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Similar {
    pub id: i64,
    pub title: String,
    pub supports: i32,
    pub score: f64,
}

/// Published opinions in the same community that look like the same matter,
/// best first: the draft's keywords against the keywords stored with each
/// opinion at publication, among the members of the topics the draft would
/// join (the topics' centroids are the index) and the community's newest.
pub async fn similar(
    s: &Services,
    client_ip: &str,
    community_id: i64,
    text: &str,
    limit: usize,
) -> DomainResult<Vec<Similar>> {
    // Each lookup searches the community's opinions: bounded per address.
    s.hit(crate::ratelimit::Bucket::SimilarIp, client_ip)
        .await?;
    if text.trim().chars().count() < 4 {
        return Ok(vec![]);
    }
    let text: String = text.chars().take(BODY_MAX + TITLE_MAX).collect();
    // One analysis of the draft; the opinions' keywords were stored when
    // they were published, and the topics' centroids index them by matter.
    let analyzer = crate::agenda::analyzer(s).await?;
    let draft: Vec<(String, f64)> = analyzer
        .get()
        .keywords(&text, 8)
        .into_iter()
        .map(|k| (k.term, k.weight))
        .collect();
    if draft.is_empty() {
        return Ok(vec![]);
    }
    #[derive(sea_orm::FromQueryResult)]
    struct Row {
        id: i64,
        title_public: String,
        supports: i32,
        keywords: String,
    }
    let public = || {
        opinion::Entity::find()
            .select_only()
            .column(opinion::Column::Id)
            .column(opinion::Column::TitlePublic)
            .column(opinion::Column::Supports)
            .column(opinion::Column::Keywords)
            .filter(opinion::Column::CommunityId.eq(community_id))
            .filter(opinion::Column::Status.eq(status::PUBLISHED))
            .filter(opinion::Column::Hidden.eq(false))
    };
    // Members of the topics this draft would join, however old, and the
    // community's newest opinions (a matter not grouped yet).
    let in_topics = crate::agenda::members_like(s, &draft, community_id, 200).await?;
    let mut recent: Vec<Row> = public()
        .filter(opinion::Column::Id.is_in(in_topics))
        .into_model()
        .all(&s.db)
        .await?;
    let seen: std::collections::HashSet<i64> = recent.iter().map(|r| r.id).collect();
    recent.extend(
        public()
            .order_by_desc(opinion::Column::Id)
            .limit(300)
            .into_model::<Row>()
            .all(&s.db)
            .await?
            .into_iter()
            .filter(|r| !seen.contains(&r.id)),
    );
    let mut out: Vec<Similar> = recent
        .into_iter()
        .map(|r| {
            let score = nlp::topics::cosine(&draft, &crate::agenda::decode_keywords(&r.keywords));
            Similar {
                id: r.id,
                title: r.title_public,
                supports: r.supports,
                score,
            }
        })
        .filter(|x| x.score >= 0.3)
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score));
    out.truncate(limit);
    Ok(out)
}

/// Pending (and auto-hidden) opinions in the staff member's communities, oldest first.
pub async fn queue(s: &Services, actor: &Principal, limit: u64) -> DomainResult<Vec<OpinionView>> {
    moderation::require_moderator(actor)?;
    let mut q = rows_for(Some(actor)).filter(
        Condition::any()
            .add(opinion::Column::Status.eq(status::PENDING))
            .add(opinion::Column::Hidden.eq(true)),
    );
    if let Some(cs) = staff_communities(actor) {
        q = q.filter(opinion::Column::CommunityId.is_in(cs));
    }
    let rows = q
        .order_by_asc(opinion::Column::Id)
        .limit(limit.clamp(1, 200))
        .into_model::<Row>()
        .all(&s.db)
        .await?;
    view_of(s, Some(actor), rows).await
}

#[derive(Clone, Debug)]
pub enum Decision {
    Approve,
    Reject { reason: String },
    Merge { into: i64 },
}

impl Decision {
    /// From a form: `approve`, `reject` (with `reason`) or `merge` (with `merge_into`).
    pub fn parse(kind: &str, reason: String, merge_into: Option<i64>) -> DomainResult<Self> {
        match kind {
            "approve" => Ok(Decision::Approve),
            "reject" => Ok(Decision::Reject { reason }),
            "merge" => Ok(Decision::Merge {
                into: merge_into.unwrap_or(0),
            }),
            _ => Err(DomainError::validation("decision", "invalid")),
        }
    }
}

/// Staff approve, reject (with a reason the author sees) or merge an
/// opinion into another one. Logged and audited.
pub async fn moderate(
    s: &Services,
    actor: &Principal,
    id: i64,
    decision: Decision,
) -> DomainResult<()> {
    moderate_many(s, actor, &[id], decision).await.map(|_| ())
}

/// The same decision for several opinions at once (bulk approve, reject
/// with one reason, or merge duplicates into one): all of them or none.
/// Returns how many were decided.
pub async fn moderate_many(
    s: &Services,
    actor: &Principal,
    ids: &[i64],
    decision: Decision,
) -> DomainResult<usize> {
    moderation::require_moderator(actor)?;
    let ids = moderation::bulk_ids(ids)?;
    let decision = match decision {
        Decision::Reject { reason } => Decision::Reject {
            reason: clean(&reason, "reason", 2, 200)?,
        },
        Decision::Merge { into } if ids.contains(&into) => {
            return Err(DomainError::validation("merge_into", "invalid"));
        }
        d => d,
    };
    let (gate, txn) = s.begin_write().await?;
    for &id in &ids {
        decide(&txn, actor, id, &decision).await?;
    }
    txn.commit().await?;
    drop(gate);
    // Published: analysed and placed into its topic (heat updated). The
    // decision stands if this fails; the next recomputation repairs it.
    let placed = if matches!(decision, Decision::Approve) {
        crate::agenda::after_publish(s, &ids).await
    } else {
        // Rejected or merged: no longer counted in any topic.
        crate::agenda::after_unpublish(s, &ids).await
    };
    if let Err(e) = placed {
        tracing::warn!(error = %e, "updating topics after moderation failed");
    }
    Ok(ids.len())
}

async fn decide(
    txn: &sea_orm::DatabaseTransaction,
    actor: &Principal,
    id: i64,
    decision: &Decision,
) -> DomainResult<()> {
    let row = opinion::Entity::find_by_id(id)
        .one(txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !may_moderate(actor, row.community_id) {
        return Err(DomainError::Forbidden);
    }
    let now = clock::now();
    let mut am: opinion::ActiveModel = row.clone().into();
    am.updated_at = Set(now);
    let (action, detail) = match decision {
        Decision::Approve => {
            if row.status != status::PENDING && !row.hidden {
                return Err(DomainError::Conflict("not_pending"));
            }
            am.status = Set(status::PUBLISHED.to_owned());
            am.hidden = Set(false);
            if row.hidden {
                am.reports = Set(0);
                moderation::clear_reports(txn, moderation::ReportTarget::Opinion(id)).await?;
            }
            if row.published_at.is_none() {
                am.published_at = Set(Some(now));
            }
            ("approve", None)
        }
        Decision::Reject { reason } => {
            am.status = Set(status::REJECTED.to_owned());
            am.reject_reason = Set(Some(reason.clone()));
            ("reject", Some(reason.clone()))
        }
        Decision::Merge { into } => {
            if *into == id {
                return Err(DomainError::validation("merge_into", "invalid"));
            }
            let target = opinion::Entity::find_by_id(*into)
                .one(txn)
                .await?
                .filter(|t| t.status == status::PUBLISHED && t.community_id == row.community_id)
                .ok_or(DomainError::validation("merge_into", "invalid"))?;
            am.status = Set(status::MERGED.to_owned());
            am.merged_into = Set(Some(target.id));
            ("merge", Some(format!("#{}", target.id)))
        }
    };
    am.update(txn).await?;
    moderation::record(txn, actor, row.community_id, "opinion", id, action, detail).await
}

/// What staff may correct in an opinion: its wording (for example personal
/// data the automatic mask missed, or an insult) and its category.
#[derive(Clone, Debug)]
pub struct Edit {
    pub title: String,
    pub body: String,
    pub category: String,
}

/// Staff of the opinion's community correct it. The public copy is masked
/// again from the corrected text; the change is logged (which fields) and
/// audited, and shows on the very next read of any page.
pub async fn edit(s: &Services, actor: &Principal, id: i64, input: Edit) -> DomainResult<()> {
    moderation::require_moderator(actor)?;
    let title = clean(&input.title, "title", 4, TITLE_MAX)?;
    let body = clean(&input.body, "body", 10, BODY_MAX)?;
    let category = input.category.trim().to_owned();
    let refs = crate::refdata::get(s).await?;
    let (_gate, txn) = s.begin_write().await?;
    let row = opinion::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if !may_moderate(actor, row.community_id) {
        return Err(DomainError::Forbidden);
    }
    let same_category = category == row.category;
    if !same_category
        && !refs
            .categories
            .iter()
            .any(|c| c.code == category && c.active)
    {
        return Err(DomainError::validation("category", "invalid"));
    }
    let changed: Vec<&str> = [
        ("title", title != row.title),
        ("body", body != row.body),
        ("category", !same_category),
    ]
    .into_iter()
    .filter_map(|(f, c)| c.then_some(f))
    .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let mut am: opinion::ActiveModel = row.clone().into();
    am.title_public = Set(nlp::mask(&title));
    am.body_public = Set(nlp::mask(&body));
    am.title = Set(title);
    am.body = Set(body);
    am.category = Set(category);
    am.updated_at = Set(clock::now());
    am.update(&txn).await?;
    moderation::record(
        &txn,
        actor,
        row.community_id,
        "opinion",
        id,
        "edit",
        Some(changed.join(",")),
    )
    .await?;
    txn.commit().await?;
    drop(_gate);
    // A published opinion's keywords follow its corrected text.
    if row.status == status::PUBLISHED
        && let Err(e) = crate::agenda::after_publish(s, &[id]).await
    {
        tracing::warn!(error = %e, "analysing a corrected opinion failed");
    }
    Ok(())
}

/// A resident supports a published opinion: +1 once per resident. Returns the new count.
pub async fn support(s: &Services, actor: &Principal, id: i64) -> DomainResult<i32> {
    let (_gate, txn) = s.begin_write().await?;
    let row = opinion::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .filter(|r| r.status == status::PUBLISHED && !r.hidden)
        .ok_or(DomainError::NotFound)?;
    let already = opinion_support::Entity::find_by_id((id, actor.account_id))
        .one(&txn)
        .await?
        .is_some();
    if already {
        return Ok(row.supports);
    }
    opinion_support::ActiveModel {
        opinion_id: Set(id),
        account_id: Set(actor.account_id),
        created_at: Set(clock::now()),
    }
    .insert(&txn)
    .await?;
    opinion::Entity::update_many()
        .col_expr(
            opinion::Column::Supports,
            Expr::col(opinion::Column::Supports).add(1),
        )
        .filter(opinion::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(row.supports + 1)
}
