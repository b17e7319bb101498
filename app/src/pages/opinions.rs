//! 民意 opinion pages: public list, detail, submission, and the staff queue.
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{ErrorNotice, action_error};
use crate::api;
use crate::api_opinions::*;
use crate::i18n::use_i18n;
use crate::model::OpinionView;
use crate::use_session;

const CATEGORIES: [&str; 4] = [
    "public_service",
    "public_management",
    "public_safety",
    "other",
];

/// One line saying what became of an opinion.
#[component]
pub fn StatusBadge(status: String, merged_into: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let key = format!("status.{status}");
    view! {
        <span class=format!("badge {status}")>
            {move || i18n.tr(&key)}
            {merged_into.map(|id| view! { " " <A href=format!("/opinions/{id}")>{format!("#{id}")}</A> })}
        </span>
    }
}

#[component]
fn OpinionCard(o: OpinionView) -> impl IntoView {
    let i18n = use_i18n();
    let cat = format!("category.{}", o.category);
    let author = o.author.clone().map(|a| {
        if a == "anonymous" {
            i18n.tr("opinion.anonymous").to_owned()
        } else {
            a
        }
    });
    view! {
        <li class="card opinion">
            <h2>
                <A href=format!("/opinions/{}", o.id)>{o.title.clone()}</A>
            </h2>
            <p class="meta">
                <span class="tag">{move || i18n.tr(&cat)}</span>
                " " {o.community_name.clone()}
                {o.location.clone().map(|l| format!(" · {l}"))}
                {author.map(|a| format!(" · {a}"))}
            </p>
            <p class="excerpt">{o.body.chars().take(120).collect::<String>()}</p>
            <p class="meta">
                {i18n.t("opinion.supports")} " " <strong>{o.supports}</strong>
            </p>
        </li>
    }
}

#[component]
pub fn OpinionList() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let communities = Resource::new(|| (), |_| api::list_communities());
    let category = move || query.read().get("category").filter(|c| !c.is_empty());
    let community = move || {
        query
            .read()
            .get("community")
            .and_then(|c| c.parse::<i64>().ok())
    };
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|c| c.parse::<i64>().ok())
    };
    let rows = Resource::new(
        move || (community(), category(), before()),
        |(community, category, before)| list_opinions(community, category, before),
    );
    view! {
        <h1>{i18n.t("opinions.title")}</h1>
        <p>
            <A href="/opinions/new" attr:class="button">{i18n.t("opinions.new")}</A>
        </p>
        <form method="get" action="/opinions" class="filters">
            <label for="f-category">{i18n.t("form.category")}</label>
            <select id="f-category" name="category">
                <option value="">{i18n.t("opinions.all")}</option>
                {CATEGORIES
                    .iter()
                    .map(|c| {
                        let key = format!("category.{c}");
                        view! { <option value=*c selected=move || category().as_deref() == Some(*c)>{move || i18n.tr(&key)}</option> }
                    })
                    .collect_view()}
            </select>
            <label for="f-community">{i18n.t("form.community")}</label>
            <select id="f-community" name="community">
                <option value="">{i18n.t("opinions.all")}</option>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        communities.await.unwrap_or_default().into_iter().map(|c| {
                            view! { <option value=c.id.to_string() selected=move || community() == Some(c.id)>{c.name}</option> }
                        }).collect_view()
                    })}
                </Suspense>
            </select>
            <button type="submit" class="secondary">{i18n.t("opinions.filter")}</button>
        </form>
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match rows.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("opinions.empty")}</p> }.into_any(),
                    Ok(list) => {
                        let last = list.last().map(|o| o.id);
                        let full = list.len() >= 20;
                        let mut more = format!("/opinions?before={}", last.unwrap_or(0));
                        if let Some(c) = category() { more.push_str(&format!("&category={c}")); }
                        if let Some(c) = community() { more.push_str(&format!("&community={c}")); }
                        view! {
                            <ul class="opinions" id="opinion-list">
                                {list.into_iter().map(|o| view! { <OpinionCard o /> }).collect_view()}
                            </ul>
                            <Show when=move || full>
                                <p><A href=more.clone()>{i18n.t("opinions.more")}</A></p>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => { let key = e.message_key(); view! { <p class="notice error" role="alert">{move || i18n.tr(&key)}</p> }.into_any() }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn OpinionDetail() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let support = ServerAction::<SupportOpinion>::new();
    let report = ServerAction::<ReportOpinion>::new();
    let opinion = Resource::new(
        move || (id(), support.version().get(), report.version().get()),
        |(id, _, _)| get_opinion(id),
    );
    view! {
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match opinion.await {
                    Ok(o) => {
                        let cat = format!("category.{}", o.category);
                        let author = o.author.clone().map(|a| if a == "anonymous" { i18n.tr("opinion.anonymous").to_owned() } else { a });
                        let published = o.status == "published" && !o.hidden;
                        let oid = o.id.to_string();
                        let oid2 = oid.clone();
                        let supports = o.supports;
                        view! {
                            <article class="card opinion-detail">
                                <h1>{o.title.clone()}</h1>
                                <p class="meta">
                                    <span class="tag">{move || i18n.tr(&cat)}</span>
                                    " " {o.community_name.clone()}
                                    {o.location.clone().map(|l| format!(" · {l}"))}
                                    {author.map(|a| format!(" · {a}"))}
                                    " · " {o.created_at.clone()}
                                </p>
                                <p><StatusBadge status=o.status.clone() merged_into=o.merged_into /></p>
                                {o.reject_reason.clone().map(|r| view! { <p class="notice">{i18n.t("opinion.reject_reason")} {r}</p> })}
                                <div class="body" data-testid="opinion-body">{o.body.clone()}</div>
                                {published.then(|| view! {
                                    <div class="actions">
                                        <ActionForm action=support attr:class="inline">
                                            <input type="hidden" name="id" value=oid />
                                            <button type="submit">{i18n.t("opinion.support")} " · " {supports}</button>
                                        </ActionForm>
                                        <ActionForm action=report attr:class="inline">
                                            <input type="hidden" name="id" value=oid2 />
                                            <input type="hidden" name="reason" value="" />
                                            <button type="submit" class="link">{i18n.t("opinion.report")}</button>
                                        </ActionForm>
                                    </div>
                                })}
                                <ErrorNotice error=action_error(support) />
                                <ErrorNotice error=action_error(report) />
                                <Show when=move || matches!(report.value().get(), Some(Ok(_)))>
                                    <p class="notice ok" role="status">{i18n.t("opinion.reported")}</p>
                                </Show>
                            </article>
                        }.into_any()
                    }
                    Err(e) => { let key = e.message_key(); view! { <p class="notice error" role="alert">{move || i18n.tr(&key)}</p> }.into_any() }
                }
            })}
        </Transition>
    }
}

/// A fresh key per form load, so a retried submission cannot create a duplicate.
fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        let a = (js_sys::Math::random() * 1e15) as u64;
        let b = (js_sys::Math::random() * 1e15) as u64;
        format!("{a:x}-{b:x}")
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

#[component]
pub fn NewOpinion() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let submit = ServerAction::<SubmitOpinion>::new();
    let communities = Resource::new(|| (), |_| api::list_communities());
    let title = RwSignal::new(String::new());
    let body = RwSignal::new(String::new());
    let community = RwSignal::new(None::<i64>);
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(new_key()));
    let similar = Resource::new(
        move || (community.get(), title.get(), body.get()),
        |(c, t, b)| async move {
            match c {
                Some(c) if t.chars().count() + b.chars().count() >= 6 => {
                    similar_opinions(c, format!("{t} {b}"))
                        .await
                        .unwrap_or_default()
                }
                _ => vec![],
            }
        },
    );
    let done = move || submit.value().get().and_then(|r| r.ok());
    view! {
        <h1>{i18n.t("opinions.new")}</h1>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let me = session.me.await.ok().flatten();
                if me.is_none() {
                    return view! {
                        <p class="notice" role="alert">{i18n.t("page.login_needed")} " "
                            <A href="/login?next=/opinions/new">{i18n.t("nav.login")}</A></p>
                    }.into_any();
                }
                view! {
                    <Show when=move || done().is_some()>
                        <p class="notice ok" role="status" id="submitted">
                            {i18n.t("opinion.received")} " "
                            <A href=move || format!("/opinions/{}", done().unwrap_or(0))>{move || format!("#{}", done().unwrap_or(0))}</A>
                        </p>
                    </Show>
                    <ActionForm action=submit attr:id="opinion-form" attr:class="card">
                        <input type="hidden" name="idempotency_key" value=move || key.get() />
                        <label for="op-community">{i18n.t("form.community")}</label>
                        <select id="op-community" name="community_id" required
                            on:change=move |ev| community.set(event_target_value(&ev).parse().ok())>
                            <option value="">{i18n.t("form.community.choose")}</option>
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    communities.await.unwrap_or_default().into_iter().map(|c| view! {
                                        <option value=c.id.to_string()>{c.name}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                        <label for="op-category">{i18n.t("form.category")}</label>
                        <select id="op-category" name="category" required>
                            {CATEGORIES.iter().map(|c| {
                                let k = format!("category.{c}");
                                view! { <option value=*c>{move || i18n.tr(&k)}</option> }
                            }).collect_view()}
                        </select>
                        <label for="op-title">{i18n.t("form.title")}</label>
                        <input id="op-title" name="title" required minlength="4" maxlength="80"
                            aria-describedby="op-title-count"
                            on:change=move |ev| title.set(event_target_value(&ev)) />
                        <small id="op-title-count" class="counter">{i18n.t("form.title.hint")}</small>
                        <label for="op-body">{i18n.t("form.body")}</label>
                        <textarea id="op-body" name="body" required minlength="10" maxlength="2000" rows="6"
                            aria-describedby="op-body-count"
                            on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        <small id="op-body-count" class="counter" aria-live="polite">{move || format!("{}/2000", body.get().chars().count())}</small>
                        <Transition fallback=|| ()>
                            {move || Suspend::new(async move {
                                let list = similar.await;
                                (!list.is_empty()).then(|| view! {
                                    <div class="notice similar" role="status" id="similar">
                                        <p><strong>{i18n.t("opinion.similar")}</strong></p>
                                        <ul>
                                            {list.into_iter().map(|s| view! {
                                                <li><A href=format!("/opinions/{}", s.id)>{s.title}</A> " · " {i18n.t("opinion.supports")} " " {s.supports}</li>
                                            }).collect_view()}
                                        </ul>
                                    </div>
                                })
                            })}
                        </Transition>
                        <label for="op-location">{i18n.t("form.location")}</label>
                        <input id="op-location" name="location" maxlength="64" />
                        <label class="check">
                            <input type="checkbox" name="anonymous" value="on" />
                            {i18n.t("form.anonymous")}
                        </label>
                        <ErrorNotice error=action_error(submit) />
                        <button type="submit" disabled=move || submit.pending().get()>{i18n.t("form.submit.opinion")}</button>
                    </ActionForm>
                }.into_any()
            })}
        </Transition>
    }
}

/// The staff's moderation queue.
#[component]
pub fn ModerationQueue() -> impl IntoView {
    let i18n = use_i18n();
    let moderate = ServerAction::<ModerateOpinion>::new();
    let queue = Resource::new(move || moderate.version().get(), |_| moderation_queue());
    view! {
        <ErrorNotice error=action_error(moderate) />
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("staff.queue.empty")}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="opinions" id="queue">
                            {list.into_iter().map(|o| {
                                let id = o.id.to_string();
                                let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                                let cat = format!("category.{}", o.category);
                                view! {
                                    <li class="card opinion" data-id=id.clone()>
                                        <h2>{format!("#{} ", o.id)} {o.title.clone()}</h2>
                                        <p class="meta"><span class="tag">{move || i18n.tr(&cat)}</span> " " {o.community_name.clone()} {o.author.clone().map(|a| format!(" · {a}"))}</p>
                                        {o.hidden.then(|| view! { <p class="notice error">{i18n.t("opinion.hidden_by_reports")}</p> })}
                                        <p class="body">{o.body.clone()}</p>
                                        <div class="actions">
                                            <ActionForm action=moderate attr:class="inline">
                                                <input type="hidden" name="id" value=id1 />
                                                <input type="hidden" name="decision" value="approve" />
                                                <button type="submit">{i18n.t("moderate.approve")}</button>
                                            </ActionForm>
                                            <ActionForm action=moderate attr:class="inline-form">
                                                <input type="hidden" name="id" value=id2.clone() />
                                                <input type="hidden" name="decision" value="reject" />
                                                <label for=format!("reason-{id2}") class="sr-only">{i18n.t("moderate.reason")}</label>
                                                <input id=format!("reason-{id2}") name="reason" required maxlength="200" placeholder=i18n.t("moderate.reason") />
                                                <button type="submit" class="secondary">{i18n.t("moderate.reject")}</button>
                                            </ActionForm>
                                            <ActionForm action=moderate attr:class="inline-form">
                                                <input type="hidden" name="id" value=id3.clone() />
                                                <input type="hidden" name="decision" value="merge" />
                                                <label for=format!("merge-{id3}") class="sr-only">{i18n.t("moderate.merge_into")}</label>
                                                <input id=format!("merge-{id3}") name="merge_into" type="number" min="1" required placeholder=i18n.t("moderate.merge_into") />
                                                <button type="submit" class="secondary">{i18n.t("moderate.merge")}</button>
                                            </ActionForm>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => { let key = e.message_key(); view! { <p class="notice error" role="alert">{move || i18n.tr(&key)}</p> }.into_any() }
                }
            })}
        </Transition>
    }
}

/// The resident's own opinions with what became of each.
#[component]
pub fn MyOpinions() -> impl IntoView {
    let i18n = use_i18n();
    let mine = Resource::new(|| (), |_| my_opinions());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match mine.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("me.opinions.empty")}</p> }.into_any(),
                    Ok(list) => view! {
                        <ul class="mine" id="my-opinions">
                            {list.into_iter().map(|o| view! {
                                <li>
                                    <A href=format!("/opinions/{}", o.id)>{o.title.clone()}</A> " "
                                    <StatusBadge status=o.status.clone() merged_into=o.merged_into />
                                    {o.reject_reason.clone().map(|r| view! { <small>{i18n.t("opinion.reject_reason")} {r}</small> })}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
        <p><A href="/opinions/new" attr:class="button">{i18n.t("opinions.new")}</A></p>
    }
}
