//! 民意 opinion pages: public list, detail, submission, and the staff queue.
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{ErrorNotice, action_error};
use crate::api;
use crate::api_opinions::*;
use crate::i18n::use_i18n;
use crate::model::{CategoryView, OpinionView};
use crate::use_session;

const CHANNELS: [&str; 4] = ["web", "import", "crawler", "meeting"];
/// Statuses the public list can filter by (grows with the later stages of the loop).
const PUBLIC_STATUSES: [&str; 1] = ["published"];

/// `<option>`s for the active categories, names in the interface language.
#[component]
fn CategoryOptions(
    categories: Resource<Result<Vec<CategoryView>, crate::model::AppError>>,
    #[prop(into)] selected: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                categories.await.unwrap_or_default().into_iter().map(|c| {
                    let code = c.code.clone();
                    let code2 = c.code.clone();
                    view! {
                        // `try_get`: under load a server render may resolve this after the
                        // page's owner is gone (seen with wrk); then it is simply not selected.
                        <option value=code selected=move || selected.try_get().flatten().as_deref() == Some(code2.as_str())>
                            {move || c.name(i18n.lang()).to_owned()}
                        </option>
                    }
                }).collect_view()
            })}
        </Suspense>
    }
}

/// `<option>`s for fixed values, labelled by the translation `{prefix}.{value}`.
#[component]
fn KeyedOptions(
    values: &'static [&'static str],
    prefix: &'static str,
    selected: Signal<Option<String>>,
) -> impl IntoView {
    let i18n = use_i18n();
    values
        .iter()
        .map(|v| {
            let key = format!("{prefix}.{v}");
            view! { <option value=*v selected=move || selected.try_get().flatten().as_deref() == Some(*v)>{move || i18n.tr(&key)}</option> }
        })
        .collect_view()
}

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
    let cat = o.clone();
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
                <span class="tag">{move || cat.category_name(i18n.lang())}</span>
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
    let categories = Resource::new(|| (), |_| list_categories(false));
    let category = move || query.read().get("category").filter(|c| !c.is_empty());
    let channel = move || query.read().get("channel").filter(|c| !c.is_empty());
    let status = move || query.read().get("status").filter(|c| !c.is_empty());
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
        move || (community(), category(), channel(), status(), before()),
        |(community, category, channel, status, before)| {
            list_opinions(community, category, channel, status, before)
        },
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
                <CategoryOptions categories selected=Signal::derive(category) />
            </select>
            <label for="f-status">{i18n.t("form.status")}</label>
            <select id="f-status" name="status">
                <option value="">{i18n.t("opinions.all")}</option>
                <KeyedOptions values=&PUBLIC_STATUSES prefix="status" selected=Signal::derive(status) />
            </select>
            <label for="f-channel">{i18n.t("form.channel")}</label>
            <select id="f-channel" name="channel">
                <option value="">{i18n.t("opinions.all")}</option>
                <KeyedOptions values=&CHANNELS prefix="channel" selected=Signal::derive(channel) />
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
                        if let Some(c) = channel() { more.push_str(&format!("&channel={c}")); }
                        if let Some(c) = status() { more.push_str(&format!("&status={c}")); }
                        view! {
                            <ul class="opinions" id="opinion-list">
                                {list.into_iter().map(|o| view! { <OpinionCard o /> }).collect_view()}
                            </ul>
                            <Show when=move || full>
                                <p><A href=more.clone()>{i18n.t("opinions.more")}</A></p>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                }
            })}
        </Transition>
    }
}

#[component]
pub fn OpinionDetail() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let support = ServerAction::<SupportOpinion>::new();
    let report = ServerAction::<ReportOpinion>::new();
    let edit = ServerAction::<EditOpinion>::new();
    let opinion = Resource::new(
        move || {
            (
                id(),
                support.version().get(),
                report.version().get(),
                edit.version().get(),
            )
        },
        |(id, _, _, _)| get_opinion(id),
    );
    let photos = Resource::new(id, opinion_photos);
    // The photo form posts without JavaScript and comes back with the outcome.
    let upload_ok = move || query.read().get("upload").is_some_and(|u| u == "ok");
    let upload_error = move || {
        query
            .read()
            .get("upload_error")
            .filter(|k| k.starts_with("err."))
    };
    view! {
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match opinion.await {
                    Ok(o) => {
                        let cat = o.clone();
                        let author = o.author.clone().map(|a| if a == "anonymous" { i18n.tr("opinion.anonymous").to_owned() } else { a });
                        let published = o.status == "published" && !o.hidden;
                        let may_add_photos = o.own && o.status == "pending";
                        let oid = o.id.to_string();
                        let oid2 = oid.clone();
                        let supports = o.supports;
                        let opinion_id = o.id;
                        view! {
                            <article class="card opinion-detail">
                                <h1>{o.title.clone()}</h1>
                                <p class="meta">
                                    <span class="tag">{move || cat.category_name(i18n.lang())}</span>
                                    " " {o.community_name.clone()}
                                    {o.location.clone().map(|l| format!(" · {l}"))}
                                    {author.map(|a| format!(" · {a}"))}
                                    " · " {o.created_at.clone()}
                                </p>
                                <p><StatusBadge status=o.status.clone() merged_into=o.merged_into /></p>
                                {o.reject_reason.clone().map(|r| view! { <p class="notice">{i18n.t("opinion.reject_reason")} {r}</p> })}
                                <crate::agenda::OpinionTopic id=o.id />
                                <crate::plans::OpinionPath id=o.id />
                                <div class="body" data-testid="opinion-body">{o.body.clone()}</div>
                                <Suspense fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        let list = photos.await.unwrap_or_default();
                                        (!list.is_empty()).then(|| view! {
                                            <ul class="photos" aria-label=i18n.t("photos.title")>
                                                {list.into_iter().enumerate().map(|(n, p)| view! {
                                                    <li><a href=format!("/media/photos/{p}?size=phone") target="_blank" rel="noopener">
                                                        <img src=format!("/media/photos/{p}?size=thumb") loading="lazy"
                                                            alt=move || format!("{} {}", i18n.tr("photos.alt"), n + 1) />
                                                    </a></li>
                                                }).collect_view()}
                                            </ul>
                                        })
                                    })}
                                </Suspense>
                                {may_add_photos.then(|| view! {
                                    <form method="post" action=format!("/opinions/{opinion_id}/photos")
                                        enctype="multipart/form-data" class="photo-upload" id="photo-form">
                                        <label for="photo-input">{i18n.t("photos.add")}</label>
                                        <input id="photo-input" type="file" name="photo" multiple
                                            accept="image/jpeg,image/png,image/webp" aria-describedby="photo-hint" />
                                        <small id="photo-hint">{i18n.t("photos.hint")}</small>
                                        <button type="submit" class="secondary">{i18n.t("photos.upload")}</button>
                                    </form>
                                })}
                                <Show when=upload_ok>
                                    <p class="notice ok" role="status">{i18n.t("photos.uploaded")}</p>
                                </Show>
                                {move || upload_error().map(|k| view! { <super::ErrorMessage key=k /> })}
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
                                {o.original.then(|| view! { <CorrectOpinion o=o.clone() edit /> })}
                            </article>
                            {published.then(|| view! { <Comments opinion_id /> })}
                        }.into_any()
                    }
                    Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                }
            })}
        </Transition>
    }
}

/// Staff of the opinion's community correct its wording (for example a
/// phone number the automatic mask missed) or its category; the public copy
/// is masked again from the corrected text.
#[component]
fn CorrectOpinion(o: OpinionView, edit: ServerAction<EditOpinion>) -> impl IntoView {
    let i18n = use_i18n();
    let categories = Resource::new(|| (), |_| list_categories(false));
    let current = o.category.clone();
    view! {
        <details class="correct" id="correct-opinion">
            <summary>{i18n.t("opinion.correct")}</summary>
            <p class="hint" id="correct-hint">{i18n.t("opinion.correct.hint")}</p>
            <ActionForm action=edit>
                <input type="hidden" name="id" value=o.id.to_string() />
                <label for="correct-title">{i18n.t("form.title")}</label>
                <input id="correct-title" name="title" required minlength="4" maxlength="80"
                    value=o.title.clone() aria-describedby="correct-hint" />
                <label for="correct-body">{i18n.t("form.body")}</label>
                <textarea id="correct-body" name="body" required minlength="10" maxlength="2000" rows="5">{o.body.clone()}</textarea>
                <label for="correct-category">{i18n.t("form.category")}</label>
                <Transition fallback=|| ()>
                    {move || {
                        let current = current.clone();
                        Suspend::new(async move {
                            let list = categories.await.unwrap_or_default();
                            view! {
                                <select id="correct-category" name="category">
                                    {list.into_iter().map(|c| {
                                        let selected = c.code == current;
                                        let name = c.name(i18n.lang()).to_owned();
                                        view! { <option value=c.code selected=selected>{name}</option> }
                                    }).collect_view()}
                                </select>
                            }
                        })
                    }}
                </Transition>
                <button type="submit">{i18n.t("opinion.correct.save")}</button>
            </ActionForm>
            <ErrorNotice error=action_error(edit) />
            <Show when=move || matches!(edit.value().get(), Some(Ok(_)))>
                <p class="notice ok" role="status">{i18n.t("opinion.corrected")}</p>
            </Show>
        </details>
    }
}

/// The comments under a published opinion, and the form to add one.
#[component]
fn Comments(opinion_id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let add = ServerAction::<AddComment>::new();
    let report = ServerAction::<ReportComment>::new();
    let comments = Resource::new(
        move || (add.version().get(), report.version().get()),
        move |_| list_comments(opinion_id),
    );
    let text = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    Effect::new(move |_| key.set(new_key()));
    // A fresh key and an empty box after each accepted comment.
    Effect::new(move |_| {
        if matches!(add.value().get(), Some(Ok(_))) {
            text.set(String::new());
            key.set(new_key());
        }
    });
    view! {
        <section class="card comments" aria-labelledby="comments-title">
            <h2 id="comments-title">{i18n.t("comments.title")}</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = comments.await.unwrap_or_default();
                    if list.is_empty() {
                        return view! { <p class="empty">{i18n.t("comments.empty")}</p> }.into_any();
                    }
                    view! {
                        <ul class="comment-list" id="comment-list">
                            {list.into_iter().map(|c| {
                                let cid = c.id.to_string();
                                let cid_attr = cid.clone();
                                let public = c.status == "published" && !c.hidden;
                                let status = c.status.clone();
                                view! {
                                    <li class="comment" data-id=cid_attr>
                                        <p class="meta">{c.author.clone().unwrap_or_default()} " · " {c.created_at.clone()}
                                            {(c.own && !public).then(|| view! { " " <StatusBadge status=status.clone() merged_into=None /> })}
                                        </p>
                                        <p class="body">{c.body.clone()}</p>
                                        {c.reject_reason.clone().map(|r| view! { <p class="notice"><small>{i18n.t("opinion.reject_reason")} {r}</small></p> })}
                                        {(public && !c.own).then(|| view! {
                                            <ActionForm action=report attr:class="inline">
                                                <input type="hidden" name="id" value=cid.clone() />
                                                <input type="hidden" name="reason" value="" />
                                                <button type="submit" class="link">{i18n.t("opinion.report")}</button>
                                            </ActionForm>
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any()
                })}
            </Transition>
            <ErrorNotice error=action_error(report) />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    if session.me.await.ok().flatten().is_none() {
                        return view! {
                            <p><A href=format!("/login?next=/opinions/{opinion_id}")>{i18n.t("comments.login")}</A></p>
                        }.into_any();
                    }
                    view! {
                        <ActionForm action=add attr:id="comment-form">
                            <input type="hidden" name="opinion_id" value=opinion_id.to_string() />
                            <input type="hidden" name="idempotency_key" value=move || key.get() />
                            <label for="comment-body">{i18n.t("comments.add")}</label>
                            <textarea id="comment-body" name="body" required minlength="2" maxlength="500" rows="3"
                                aria-describedby="comment-count"
                                prop:value=move || text.get()
                                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
                            <small id="comment-count" class="counter" aria-live="polite">{move || format!("{}/500", text.get().chars().count())}</small>
                            <ErrorNotice error=action_error(add) />
                            <Show when=move || matches!(add.value().get(), Some(Ok(_)))>
                                <p class="notice ok" role="status" id="comment-received">{i18n.t("comments.received")}</p>
                            </Show>
                            <button type="submit" disabled=move || add.pending().get()>{i18n.t("comments.submit")}</button>
                        </ActionForm>
                    }.into_any()
                })}
            </Transition>
        </section>
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
    let categories = Resource::new(|| (), |_| list_categories(false));
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
                // The community from the profile is the default (and drives the similar-opinion hint).
                let home = me.as_ref().and_then(|m| m.community_id);
                if community.get_untracked().is_none() {
                    community.set(home);
                }
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
                            " " {i18n.t("opinion.received.photos")}
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
                                        <option value=c.id.to_string() selected=move || community.get() == Some(c.id)>{c.name}</option>
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                        <label for="op-category">{i18n.t("form.category")}</label>
                        <select id="op-category" name="category" required>
                            <CategoryOptions categories selected=Signal::derive(|| None::<String>) />
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

/// Bumped after every moderation decision on the staff page, so the
/// moderation log below the queues shows it at once.
#[derive(Clone, Copy)]
pub struct ModerationTick(pub RwSignal<u32>);

/// Bumps the [`ModerationTick`] (when there is one) after each successful run of `action`.
fn bump_on_success<S>(action: ServerAction<S>)
where
    S: leptos::server_fn::ServerFn<Error = crate::model::AppError> + Send + Sync + Clone + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    if let Some(ModerationTick(tick)) = use_context::<ModerationTick>() {
        Effect::new(move |_| {
            if matches!(action.value().get(), Some(Ok(_))) {
                tick.update(|t| *t += 1);
            }
        });
    }
}

/// Ids of the ticked rows, as one comma-separated form value.
fn joined(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
}

/// A tick box that adds or removes `id` from the bulk selection.
#[component]
fn PickBox(id: i64, picked: RwSignal<Vec<i64>>, label: String) -> impl IntoView {
    view! {
        <label class="check pick">
            <input type="checkbox" class="pick-box"
                prop:checked=move || picked.read().contains(&id)
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    picked.update(|p| {
                        p.retain(|x| *x != id);
                        if on { p.push(id); }
                    });
                } />
            <span class="sr-only">{label}</span>
        </label>
    }
}

/// The staff's moderation queue: one decision per opinion, or the same
/// decision for every ticked one (all or none).
#[component]
pub fn ModerationQueue() -> impl IntoView {
    let i18n = use_i18n();
    let moderate = ServerAction::<ModerateOpinion>::new();
    let bulk = ServerAction::<ModerateOpinions>::new();
    let picked = RwSignal::new(Vec::<i64>::new());
    let queue = Resource::new(
        move || (moderate.version().get(), bulk.version().get()),
        |_| moderation_queue(),
    );
    Effect::new(move |_| {
        if matches!(bulk.value().get(), Some(Ok(_))) {
            picked.set(vec![]);
        }
    });
    bump_on_success(moderate);
    bump_on_success(bulk);
    view! {
        <ErrorNotice error=action_error(moderate) />
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("staff.queue.empty")}</p> }.into_any(),
                    Ok(list) => view! {
                        <ActionForm action=bulk attr:class="card bulk" attr:id="bulk-opinions">
                            <input type="hidden" name="ids" value=move || joined(&picked.get()) />
                            <p class="meta" aria-live="polite">{i18n.t("bulk.picked")} " " <strong>{move || picked.read().len()}</strong></p>
                            <label for="bulk-decision">{i18n.t("bulk.decision")}</label>
                            <select id="bulk-decision" name="decision">
                                <option value="approve">{i18n.t("moderate.approve")}</option>
                                <option value="reject">{i18n.t("moderate.reject")}</option>
                                <option value="merge">{i18n.t("moderate.merge")}</option>
                            </select>
                            <label for="bulk-reason">{i18n.t("moderate.reason")}</label>
                            <input id="bulk-reason" name="reason" maxlength="200" />
                            <label for="bulk-merge">{i18n.t("moderate.merge_into")}</label>
                            <input id="bulk-merge" name="merge_into" type="number" min="1" />
                            <ErrorNotice error=action_error(bulk) />
                            {move || bulk.value().get().and_then(|r| r.ok()).map(|n| view! {
                                <p class="notice ok" role="status">{i18n.t("bulk.done")} " " {n}</p>
                            })}
                            <button type="submit" disabled=move || picked.read().is_empty() || bulk.pending().get()>{i18n.t("bulk.apply")}</button>
                        </ActionForm>
                        <ul class="opinions" id="queue">
                            {list.into_iter().map(|o| {
                                let id = o.id.to_string();
                                let (id1, id2, id3) = (id.clone(), id.clone(), id.clone());
                                let cat = o.clone();
                                let pick_label = format!("#{} {}", o.id, o.title);
                                view! {
                                    <li class="card opinion" data-id=id.clone()>
                                        <h2><PickBox id=o.id picked label=pick_label />{format!("#{} ", o.id)} {o.title.clone()}</h2>
                                        <p class="meta"><span class="tag">{move || cat.category_name(i18n.lang())}</span> " " {o.community_name.clone()} {o.author.clone().map(|a| format!(" · {a}"))}</p>
                                        {o.hidden.then(|| view! { <p class="notice error">{i18n.t("opinion.hidden_by_reports")}</p> })}
                                        <p class="body">{o.body.clone()}</p>
                                        <p><A href=format!("/opinions/{}", o.id)>{i18n.t("moderate.open")}</A></p>
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
                    Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                }
            })}
        </Transition>
    }
}

/// Comments waiting for a moderator, with bulk approve / reject.
#[component]
pub fn CommentQueue() -> impl IntoView {
    let i18n = use_i18n();
    let decide = ServerAction::<ModerateComments>::new();
    let picked = RwSignal::new(Vec::<i64>::new());
    let queue = Resource::new(move || decide.version().get(), |_| comment_queue());
    Effect::new(move |_| {
        if matches!(decide.value().get(), Some(Ok(_))) {
            picked.set(vec![]);
        }
    });
    bump_on_success(decide);
    view! {
        <ErrorNotice error=action_error(decide) />
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("staff.comments.empty")}</p> }.into_any(),
                    Ok(list) => view! {
                        <ActionForm action=decide attr:class="card bulk" attr:id="bulk-comments">
                            <input type="hidden" name="ids" value=move || joined(&picked.get()) />
                            <p class="meta" aria-live="polite">{i18n.t("bulk.picked")} " " <strong>{move || picked.read().len()}</strong></p>
                            <label for="bulk-c-decision">{i18n.t("bulk.decision")}</label>
                            <select id="bulk-c-decision" name="decision">
                                <option value="approve">{i18n.t("moderate.approve")}</option>
                                <option value="reject">{i18n.t("moderate.reject")}</option>
                            </select>
                            <label for="bulk-c-reason">{i18n.t("moderate.reason")}</label>
                            <input id="bulk-c-reason" name="reason" maxlength="200" />
                            <button type="submit" disabled=move || picked.read().is_empty() || decide.pending().get()>{i18n.t("bulk.apply")}</button>
                        </ActionForm>
                        <ul class="opinions" id="comment-queue">
                            {list.into_iter().map(|q| {
                                let c = q.comment;
                                let cid = c.id.to_string();
                                let cid_attr = cid.clone();
                                let (cid1, cid2) = (cid.clone(), cid.clone());
                                let label = format!("#{} {}", c.id, c.body.chars().take(20).collect::<String>());
                                view! {
                                    <li class="card comment" data-id=cid_attr>
                                        <p class="meta"><PickBox id=c.id picked label />
                                            {q.community_name} " · "
                                            <A href=format!("/opinions/{}", c.opinion_id)>{format!("#{} ", c.opinion_id)} {q.opinion_title}</A>
                                            {c.author.clone().map(|a| format!(" · {a}"))}
                                        </p>
                                        {c.hidden.then(|| view! { <p class="notice error">{i18n.t("opinion.hidden_by_reports")}</p> })}
                                        <p class="body">{c.body.clone()}</p>
                                        <div class="actions">
                                            <ActionForm action=decide attr:class="inline">
                                                <input type="hidden" name="ids" value=cid1 />
                                                <input type="hidden" name="decision" value="approve" />
                                                <button type="submit">{i18n.t("moderate.approve")}</button>
                                            </ActionForm>
                                            <ActionForm action=decide attr:class="inline-form">
                                                <input type="hidden" name="ids" value=cid2 />
                                                <input type="hidden" name="decision" value="reject" />
                                                <label for=format!("c-reason-{cid}") class="sr-only">{i18n.t("moderate.reason")}</label>
                                                <input id=format!("c-reason-{cid}") name="reason" required maxlength="200" placeholder=i18n.t("moderate.reason") />
                                                <button type="submit" class="secondary">{i18n.t("moderate.reject")}</button>
                                            </ActionForm>
                                        </div>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                    Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                }
            })}
        </Transition>
    }
}

/// Who decided what, newest first, in the staff member's communities.
#[component]
pub fn ModerationLog() -> impl IntoView {
    let i18n = use_i18n();
    let before = RwSignal::new(None::<i64>);
    let tick = use_context::<ModerationTick>();
    let log = Resource::new(
        move || (before.get(), tick.map(|ModerationTick(t)| t.get())),
        |(before, _)| moderation_log(before),
    );
    view! {
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match log.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("staff.log.empty")}</p> }.into_any(),
                    Ok(list) => {
                        let last = list.last().map(|e| e.id);
                        let full = list.len() >= 50;
                        view! {
                            <div class="table-wrap">
                                <table class="stack" id="moderation-log">
                                    <thead><tr>
                                        <th scope="col">{i18n.t("audit.col.time")}</th>
                                        <th scope="col">{i18n.t("audit.col.actor")}</th>
                                        <th scope="col">{i18n.t("audit.col.action")}</th>
                                        <th scope="col">{i18n.t("audit.col.target")}</th>
                                        <th scope="col">{i18n.t("log.col.detail")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|e| {
                                            let action = format!("log.action.{}", e.action);
                                            let kind = format!("log.kind.{}", e.target_kind);
                                            let target = if e.target_kind == "opinion" {
                                                view! { <A href=format!("/opinions/{}", e.target_id)>{format!("#{}", e.target_id)}</A> }.into_any()
                                            } else {
                                                view! { <span>{format!("#{}", e.target_id)}</span> }.into_any()
                                            };
                                            view! {
                                                <tr>
                                                    <td data-label=i18n.t("audit.col.time")>{e.at}</td>
                                                    <td data-label=i18n.t("audit.col.actor")>{e.actor.unwrap_or_default()} " · " {e.community_name}</td>
                                                    <td data-label=i18n.t("audit.col.action")>{move || i18n.tr(&action)}</td>
                                                    <td data-label=i18n.t("audit.col.target")>{move || i18n.tr(&kind)} " " {target}</td>
                                                    <td data-label=i18n.t("log.col.detail")>{e.detail.unwrap_or_default()}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <Show when=move || full>
                                <p><button type="button" class="link" on:click=move |_| before.set(last)>{i18n.t("opinions.more")}</button></p>
                            </Show>
                        }.into_any()
                    }
                    Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
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
