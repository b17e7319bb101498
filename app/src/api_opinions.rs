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
    #[server(default)] before: Option<i64>,
) -> Result<Vec<OpinionView>, AppError> {
    let st = state::state()?;
    let viewer = state::principal().await?;
    let filter = domain::opinions::ListFilter {
        community_id: community,
        category,
        channel: None,
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
    let rows = domain::opinions::similar(&st.services, community_id, &text, 5)
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
    domain::opinions::report(&st.services, &actor, id, &reason)
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
    use domain::opinions::Decision;
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let d = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject { reason },
        "merge" => Decision::Merge {
            into: merge_into.unwrap_or(0),
        },
        _ => {
            return Err(map_err(domain::DomainError::validation(
                "decision", "invalid",
            )));
        }
    };
    domain::opinions::moderate(&st.services, &actor, id, d)
        .await
        .map_err(map_err)
}
