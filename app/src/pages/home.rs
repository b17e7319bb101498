use leptos::prelude::*;
use leptos_router::components::A;

use crate::i18n::use_i18n;
use crate::use_session;

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
                view! { <crate::agenda::HotOnHome community /> }
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
