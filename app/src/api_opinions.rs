//! Server functions for opinions (民意): thin wrappers over `domain::opinions`.
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::model::*;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

#[cfg(feature = "ssr")]
fn to_view(o: domain::opinions::OpinionView) -> OpinionView {
    OpinionView {
        id: o.id,
        community_name: o.community_name,
        location: o.location,
        category: o.category,
        category_zh: o.category_zh,
        category_en: o.category_en,
        channel: o.channel,
        title: o.title,
        body: o.body,
        author: o.author,
        status: o.status,
        reject_reason: o.reject_reason,
        merged_into: o.merged_into,
        supports: o.supports,
        hidden: o.hidden,
        created_at: o.created_at,
        original: o.original,
        own: o.own,
    }
}

/// Submits an opinion; answers with its id (the same id again for a retried key).
#[server(prefix = "/api", endpoint = "submit_opinion")]
pub async fn submit_opinion(
    community_id: i64,
    location: String,
    category: String,
    title: String,
    body: String,
    #[server(default)] anonymous: Option<String>,
    idempotency_key: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::opinions::SubmitInput {
        community_id,
        location,
        category,
        title,
        body,
        anonymous: anonymous.is_some_and(|a| a == "on" || a == "true"),
        idempotency_key,
    };
    let done = domain::opinions::submit(&st.services, &actor, input)
        .await
        .map_err(map_err)?;
    Ok(done.id)
}

/// Published opinions, newest first; `before` pages on.
#[server(prefix = "/api", endpoint = "opinions", input = GetUrl)]
pub async fn list_opinions(
    #[server(default)] community: Option<i64>,
    #[server(default)] category: Option<String>,
    #[server(default)] channel: Option<String>,
    #[server(default)] status: Option<String>,
    #[server(default)] before: Option<i64>,
) -> Result<Vec<OpinionView>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let filter = domain::opinions::ListFilter {
        community_id: community,
        category,
        channel,
        status,
        before_id: before,
        limit: 20,
    };
    let rows = domain::opinions::list_public(&st.services, viewer.as_ref(), filter)
        .await
        .map_err(map_err)?;
    Ok(rows.into_iter().map(to_view).collect())
}

#[server(prefix = "/api", endpoint = "opinion", input = GetUrl)]
pub async fn get_opinion(id: i64) -> Result<OpinionView, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let o = domain::opinions::detail(&st.services, viewer.as_ref(), id)
        .await
        .map_err(map_err)?;
    Ok(to_view(o))
}

#[server(prefix = "/api", endpoint = "my_opinions", input = GetUrl)]
pub async fn my_opinions() -> Result<Vec<OpinionView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::opinions::mine(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(rows.into_iter().map(to_view).collect())
}

/// "同一件事已有人提出": published opinions in the community that look alike.
#[server(prefix = "/api", endpoint = "similar_opinions", input = GetUrl)]
pub async fn similar_opinions(
    community_id: i64,
    text: String,
) -> Result<Vec<SimilarView>, AppError> {
    let st = state::state()?;
    let rows = domain::opinions::similar(&st.services, &state::client_ip(), community_id, &text, 5)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|r| SimilarView {
            id: r.id,
            title: r.title,
            supports: r.supports,
        })
        .collect())
}

#[server(prefix = "/api", endpoint = "support_opinion")]
pub async fn support_opinion(id: i64) -> Result<i32, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::opinions::support(&st.services, &actor, id)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "report_opinion")]
pub async fn report_opinion(id: i64, #[server(default)] reason: String) -> Result<bool, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::moderation::report(
        &st.services,
        &actor,
        domain::moderation::ReportTarget::Opinion(id),
        &reason,
    )
    .await
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "moderation_queue", input = GetUrl)]
pub async fn moderation_queue() -> Result<Vec<OpinionView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::opinions::queue(&st.services, &actor, 100)
        .await
        .map_err(map_err)?;
    Ok(rows.into_iter().map(to_view).collect())
}

/// `decision` is `approve`, `reject` (with `reason`) or `merge` (with `merge_into`).
#[server(prefix = "/api", endpoint = "moderate_opinion")]
pub async fn moderate_opinion(
    id: i64,
    decision: String,
    #[server(default)] reason: String,
    #[server(default)] merge_into: Option<i64>,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let d = domain::opinions::Decision::parse(&decision, reason, merge_into).map_err(map_err)?;
    domain::opinions::moderate(&st.services, &actor, id, d)
        .await
        .map_err(map_err)
}

/// Staff correct an opinion's wording or category (see `domain::opinions::edit`).
#[server(prefix = "/api", endpoint = "edit_opinion")]
pub async fn edit_opinion(
    id: i64,
    title: String,
    body: String,
    category: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let input = domain::opinions::Edit {
        title,
        body,
        category,
    };
    domain::opinions::edit(&st.services, &actor, id, input)
        .await
        .map_err(map_err)
}

#[cfg(feature = "ssr")]
fn comment_view(c: domain::comments::CommentView) -> CommentView {
    CommentView {
        id: c.id,
        opinion_id: c.opinion_id,
        author: c.author,
        body: c.body,
        status: c.status,
        reject_reason: c.reject_reason,
        hidden: c.hidden,
        created_at: c.created_at,
        own: c.own,
    }
}

/// Ids from a form: one id or several, comma-separated.
#[cfg(feature = "ssr")]
fn parse_ids(raw: &str) -> Result<Vec<i64>, AppError> {
    let mut out = Vec::new();
    for part in raw.split(',') {
        let p = part.trim();
        if p.is_empty() {
            continue;
        }
        out.push(
            p.parse::<i64>()
                .map_err(|_| map_err(domain::DomainError::validation("ids", "invalid")))?,
        );
    }
    Ok(out)
}

/// Comments under an opinion as the viewer may see them.
#[server(prefix = "/api", endpoint = "comments", input = GetUrl)]
pub async fn list_comments(opinion_id: i64) -> Result<Vec<CommentView>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let rows = domain::comments::list(&st.services, viewer.as_ref(), opinion_id)
        .await
        .map_err(map_err)?;
    Ok(rows.into_iter().map(comment_view).collect())
}

/// A resident comments; the comment waits for a moderator. Answers its id.
#[server(prefix = "/api", endpoint = "add_comment")]
pub async fn add_comment(
    opinion_id: i64,
    body: String,
    #[server(default)] idempotency_key: String,
) -> Result<i64, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::comments::add(&st.services, &actor, opinion_id, &body, &idempotency_key)
        .await
        .map(|d| d.id)
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "report_comment")]
pub async fn report_comment(id: i64, #[server(default)] reason: String) -> Result<bool, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::moderation::report(
        &st.services,
        &actor,
        domain::moderation::ReportTarget::Comment(id),
        &reason,
    )
    .await
    .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "comment_queue", input = GetUrl)]
pub async fn comment_queue() -> Result<Vec<QueuedCommentView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::comments::queue(&st.services, &actor, 100)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|q| QueuedCommentView {
            comment: comment_view(q.comment),
            opinion_title: q.opinion_title,
            community_name: q.community_name,
        })
        .collect())
}

/// Approve or reject (with `reason`) one or more comments: `ids` is one id
/// or several, comma-separated. All or none. Answers how many.
#[server(prefix = "/api", endpoint = "moderate_comments")]
pub async fn moderate_comments(
    ids: String,
    decision: String,
    #[server(default)] reason: String,
) -> Result<usize, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let ids = parse_ids(&ids)?;
    let d = domain::comments::CommentDecision::parse(&decision, reason).map_err(map_err)?;
    domain::comments::moderate_many(&st.services, &actor, &ids, d)
        .await
        .map_err(map_err)
}

/// Bulk moderation of opinions: the same decision for every id in `ids`. All or none.
#[server(prefix = "/api", endpoint = "moderate_opinions")]
pub async fn moderate_opinions(
    ids: String,
    decision: String,
    #[server(default)] reason: String,
    #[server(default)] merge_into: Option<i64>,
) -> Result<usize, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let ids = parse_ids(&ids)?;
    let d = domain::opinions::Decision::parse(&decision, reason, merge_into).map_err(map_err)?;
    domain::opinions::moderate_many(&st.services, &actor, &ids, d)
        .await
        .map_err(map_err)
}

/// The moderation log of the staff member's communities, newest first.
#[server(prefix = "/api", endpoint = "moderation_log", input = GetUrl)]
pub async fn moderation_log(
    #[server(default)] before: Option<i64>,
) -> Result<Vec<ModerationEntryView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::moderation::log(&st.services, &actor, before, 50)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|e| ModerationEntryView {
            id: e.id,
            at: e.at,
            actor: e.actor,
            community_name: e.community_name,
            target_kind: e.target_kind,
            target_id: e.target_id,
            action: e.action,
            detail: e.detail,
        })
        .collect())
}

/// Ids of an opinion's photos (`/media/photos/{id}`), for whoever may see it.
#[server(prefix = "/api", endpoint = "opinion_photos", input = GetUrl)]
pub async fn opinion_photos(opinion_id: i64) -> Result<Vec<i64>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let rows = domain::photos::list(&st.services, viewer.as_ref(), opinion_id)
        .await
        .map_err(map_err)?;
    Ok(rows.into_iter().map(|p| p.id).collect())
}

/// Active categories (with `all`, retired ones too: admins only see the difference).
#[server(prefix = "/api", endpoint = "categories", input = GetUrl)]
pub async fn list_categories(#[server(default)] all: bool) -> Result<Vec<CategoryView>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let rows = domain::categories::list_for(&st.services, viewer.as_ref(), all)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|c| CategoryView {
            code: c.code,
            name_zh: c.name_zh,
            name_en: c.name_en,
            sort: c.sort,
            active: c.active,
        })
        .collect())
}
