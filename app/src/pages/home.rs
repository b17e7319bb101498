use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;
use leptos_router::components::A;
use serde::{Deserialize, Serialize};

use crate::i18n::use_i18n;
use crate::model::AppError;
use crate::use_session;

/// One line of the home page's latest activity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityView {
    /// `opinion`, `topic`, `meeting` or `plan`.
    pub kind: String,
    pub state: String,
    pub title: String,
    /// China time, `YYYY-MM-DD HH:MM`.
    pub at: String,
    pub link: String,
}

/// The latest public activity of a community, or of the street.
#[server(prefix = "/api", endpoint = "latest_activity", input = GetUrl)]
pub async fn latest_activity(community: Option<i64>) -> Result<Vec<ActivityView>, AppError> {
    let st = crate::state::state()?;
    Ok(
        // Eight lines.
        domain::reports::open::latest(&st.services, community, 8)
            .await
            .map_err(crate::state::map_err)?
            .into_iter()
            .map(|a| ActivityView {
                kind: a.kind,
                state: a.state,
                title: a.title,
                at: domain::clock::china_time(a.at),
                link: a.link,
            })
            .collect(),
    )
}

/// 最新动态: what happened lately, newest first, each line a link.
#[component]
fn LatestActivity(community: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let lines = Resource::new(move || community, latest_activity);
    view! {
        <section class="card" aria-labelledby="latest-title">
            <h2 id="latest-title">{i18n.t("home.latest")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match lines.await {
                        Ok(list) if !list.is_empty() => view! {
                            <ol class="activity" id="home-activity">
                                {list.into_iter().map(|a| {
                                    let what = match a.kind.as_str() {
                                        "opinion" => "home.latest.opinion".to_owned(),
                                        "topic" => "home.latest.topic".to_owned(),
                                        "meeting" => format!("meet.status.{}", a.state),
                                        _ => format!("plan.status.{}", a.state),
                                    };
                                    let kind = format!("home.latest.kind.{}", a.kind);
                                    view! {
                                        <li>
                                            <span class="tag">{move || i18n.tr(&kind)} " · " {move || i18n.tr(&what)}</span>
                                            " "
                                            <A href=a.link>{a.title}</A>
                                            " "
                                            <time>{a.at}</time>
                                        </li>
                                    }
                                }).collect_view()}
                            </ol>
                        }.into_any(),
                        _ => view! { <p class="empty">{i18n.t("home.latest.empty")}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
pub fn Home() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let steps = [
        ("home.step.opinion", "home.step.opinion.text"),
        ("home.step.meeting", "home.step.meeting.text"),
        ("home.step.result", "home.step.result.text"),
    ];
    view! {
        <section class="hero">
            <h1>{i18n.t("home.welcome")}</h1>
            <p>{i18n.t("home.intro")}</p>
        </section>
        <ol class="steps">
            {steps
                .into_iter()
                .map(|(title, text)| {
                    view! {
                        <li>
                            <h2>{i18n.t(title)}</h2>
                            <p>{i18n.t(text)}</p>
                        </li>
                    }
                })
                .collect_view()}
        </ol>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let community = match session.me.await {
                    Ok(Some(me)) => me.community_id,
                    _ => None,
                };
                view! {
                    <crate::agenda::HotOnHome community />
                    <LatestActivity community />
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) => {
                        view! {
                            <section class="card">
                                <h2>{i18n.t("home.your_areas")}</h2>
                                <ul class="tiles">
                                    {me
                                        .areas
                                        .into_iter()
                                        .map(|a| {
                                            let key = format!("area.{a}");
                                            view! {
                                                <li>
                                                    <A href=format!("/{a}")>{move || i18n.tr(&key)}</A>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </section>
                        }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <p class="cta">
                                <A href="/register" attr:class="button">{i18n.t("home.start")}</A>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn NotFound() -> impl IntoView {
    let i18n = use_i18n();
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <h1>{i18n.t("page.not_found")}</h1>
        <p>
            <A href="/">{i18n.t("nav.home")}</A>
        </p>
    }
}
