//! 批量导入 the staff's web import: upload a CSV/XLSX file, check the column
//! mapping against a preview with every row error listed, then import (all
//! rows or none) with a progress bar.
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::areas::AreaPage;
use super::{ErrorNotice, action_error};
use crate::api;
use crate::api_import::*;
use crate::i18n::use_i18n;

/// The mapping fields, in form order: (field, form name).
const FIELDS: [(&str, &str); 8] = [
    ("title", "title"),
    ("body", "body"),
    ("community", "community_col"),
    ("category", "category"),
    ("location", "location"),
    ("received_at", "received_at"),
    ("phone", "phone"),
    ("channel", "channel"),
];

#[component]
pub fn ImportPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let file = move || query.read().get("file").filter(|f| !f.is_empty());
    let upload_error = move || {
        query
            .read()
            .get("upload_error")
            .filter(|k| k.starts_with("err."))
    };
    view! {
        <AreaPage area="staff" title="import.title" intro="import.intro">
            <p><A href="/staff">{i18n.t("import.back")}</A></p>
            {move || upload_error().map(|k| view! { <super::ErrorMessage key=k /> })}
            {move || match file() {
                None => view! { <UploadForm /> }.into_any(),
                Some(f) => view! { <Preview file=f /> }.into_any(),
            }}
        </AreaPage>
    }
}

#[component]
fn UploadForm() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <form method="post" action="/staff/import/upload" enctype="multipart/form-data" class="card" id="import-upload">
            <label for="import-file">{i18n.t("import.file")}</label>
            <input id="import-file" type="file" name="file" required
                accept=".csv,.txt,.xlsx,.xlsm" aria-describedby="import-file-hint" />
            <small id="import-file-hint">{i18n.t("import.file.hint")}</small>
            <button type="submit">{i18n.t("import.upload")}</button>
        </form>
    }
}

/// The mapping form (a GET form: the preview follows the query) and the preview.
#[component]
fn Preview(file: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let q = move |k: &str| query.read().get(k).unwrap_or_default();
    let community = move || q("community").parse::<i64>().ok();
    let file_for_preview = file.clone();
    let preview = Resource::new(
        move || {
            (
                q("title"),
                q("body"),
                q("community_col"),
                q("category"),
                q("location"),
                (q("received_at"), q("phone"), q("channel")),
                community(),
            )
        },
        move |(t, b, cc, c, l, (r, p, ch), com)| {
            import_preview(file_for_preview.clone(), t, b, cc, c, l, r, p, ch, com)
        },
    );
    let communities = Resource::new(|| (), |_| api::list_communities());
    let start = ServerAction::<ImportStart>::new();
    let started = move || matches!(start.value().get(), Some(Ok(())));
    let file_for_progress = file.clone();
    let progress = polled(
        started,
        move || import_progress(file_for_progress.clone()),
        |p| p.finished,
    );
    let file_hidden = file.clone();
    view! {
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || {
                let file_hidden = file_hidden.clone();
                Suspend::new(async move {
                let p = match preview.await {
                    Ok(p) => p,
                    Err(e) => {
                        return view! {
                            <super::ErrorMessage key=e.message_key() />
                            <p><A href="/staff/import">{i18n.t("import.again")}</A></p>
                        }.into_any();
                    }
                };
                let headers = p.headers.clone();
                let mapping = p.mapping.clone();
                let chosen = move |field: &str| mapping.iter().find(|(f, _)| f == field).and_then(|(_, h)| h.clone());
                let ok = p.errors_total == 0 && p.rows_ok > 0;
                let f2 = file_hidden.clone();
                view! {
                    <form method="get" action="/staff/import" class="card" id="import-mapping">
                        <input type="hidden" name="file" value=file_hidden.clone() />
                        <h2>{i18n.t("import.mapping")}</h2>
                        {FIELDS.iter().map(|(field, name)| {
                            let current = chosen(field);
                            let label = format!("import.field.{field}");
                            let id = format!("map-{field}");
                            let headers = headers.clone();
                            view! {
                                <label for=id.clone()>{move || i18n.tr(&label)}</label>
                                <select id=id name=*name>
                                    // "-" is domain::import::UNMAPPED: not used, even if guessed.
                                    <option value="-">{i18n.t("import.unmapped")}</option>
                                    {headers.into_iter().map(|h| {
                                        let sel = current.as_deref() == Some(h.as_str());
                                        view! { <option value=h.clone() selected=sel>{h.clone()}</option> }
                                    }).collect_view()}
                                </select>
                            }
                        }).collect_view()}
                        <label for="map-default-community">{i18n.t("import.default_community")}</label>
                        <select id="map-default-community" name="community">
                            <option value="">{i18n.t("import.unmapped")}</option>
                            <Suspense fallback=|| ()>
                                {move || Suspend::new(async move {
                                    communities.await.unwrap_or_default().into_iter().map(|c| {
                                        view! { <option value=c.id.to_string() selected=move || community() == Some(c.id)>{c.name}</option> }
                                    }).collect_view()
                                })}
                            </Suspense>
                        </select>
                        <button type="submit" class="secondary">{i18n.t("import.check")}</button>
                    </form>
                    <section class="card" aria-labelledby="preview-title">
                        <h2 id="preview-title">{i18n.t("import.preview")}</h2>
                        <p data-testid="import-counts">
                            {i18n.t("import.rows")} " " <strong>{p.rows_total}</strong> " · "
                            {i18n.t("import.rows_ok")} " " <strong>{p.rows_ok}</strong> " · "
                            {i18n.t("import.rows_bad")} " " <strong>{p.errors_total}</strong>
                        </p>
                        {(!p.errors.is_empty()).then(|| view! {
                            <div class="notice error" role="alert">
                                <p>{i18n.t("import.has_errors")}</p>
                                <ul id="import-errors">
                                    {p.errors.iter().map(|e| {
                                        let field = format!("import.field.{}", e.field);
                                        let rule = format!("import.rule.{}", e.rule);
                                        view! { <li>{i18n.t("import.row")} " " {e.row} ": " {move || i18n.tr(&field)} " — " {move || i18n.tr(&rule)}</li> }
                                    }).collect_view()}
                                </ul>
                            </div>
                        })}
                        {(!p.sample.is_empty()).then(|| view! {
                            <div class="table-wrap">
                                <table class="stack">
                                    <thead><tr>
                                        <th scope="col">{i18n.t("import.row")}</th>
                                        <th scope="col">{i18n.t("import.field.community")}</th>
                                        <th scope="col">{i18n.t("import.field.category")}</th>
                                        <th scope="col">{i18n.t("import.field.title")}</th>
                                        <th scope="col">{i18n.t("import.field.body")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {p.sample.iter().cloned().map(|r| view! {
                                            <tr>
                                                <td data-label=i18n.t("import.row")>{r.row}</td>
                                                <td data-label=i18n.t("import.field.community")>{r.community_name}</td>
                                                <td data-label=i18n.t("import.field.category")>{r.category}</td>
                                                <td data-label=i18n.t("import.field.title")>{r.title}</td>
                                                <td data-label=i18n.t("import.field.body")>{r.body}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        })}
                        <ActionForm action=start attr:id="import-start">
                            <input type="hidden" name="file" value=f2 />
                            {FIELDS.iter().map(|(field, name)| {
                                let v = chosen(field).unwrap_or_default();
                                view! { <input type="hidden" name=*name value=v /> }
                            }).collect_view()}
                            <input type="hidden" name="community" value=move || community().map(|c| c.to_string()).unwrap_or_default() />
                            <label class="check" for="import-publish">
                                <input type="checkbox" id="import-publish" name="publish" value="true" aria-describedby="import-publish-hint" />
                                {i18n.t("import.publish")}
                            </label>
                            <p class="hint" id="import-publish-hint">{i18n.t("import.publish_hint")}</p>
                            <ErrorNotice error=action_error(start) />
                            <button type="submit" disabled=move || !ok || start.pending().get() || started()>{i18n.t("import.start")}</button>
                        </ActionForm>
                    </section>
                }.into_any()
            })}}
        </Transition>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                progress.await.map(|p| {
                    let label = format!("{} / {}", p.done, p.total);
                    view! {
                        <section class="card" aria-live="polite" id="import-progress">
                            <label for="import-bar">{i18n.t("import.progress")} " " {label}</label>
                            <progress id="import-bar" max=p.total.max(1).to_string() value=p.done.to_string()></progress>
                            {p.finished.then(|| match (&p.error, p.created) {
                                (Some(k), _) => {
                                    let k = k.clone();
                                    view! { <p class="notice error" role="alert">{i18n.t("import.failed")} " " {move || i18n.tr(&k)}</p> }.into_any()
                                }
                                (None, created) => view! {
                                    <p class="notice ok" role="status" id="import-done">
                                        {i18n.t("import.done")} " " {created.unwrap_or(0)} " · "
                                        {i18n.t("import.skipped")} " " {p.skipped.unwrap_or(0)}
                                    </p>
                                }.into_any(),
                            })}
                        </section>
                    }
                })
            })}
        </Suspense>
    }
}

/// A queued run's progress: fetched once `started`, then every half second
/// in the browser until `finished` says so (web imports of opinions and of
/// the enterprise register).
pub fn polled<T, F, Fut>(
    started: impl Fn() -> bool + Send + Sync + Copy + 'static,
    fetch: F,
    finished: fn(&T) -> bool,
) -> Resource<Option<T>>
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Option<T>, crate::model::AppError>> + Send + 'static,
{
    let tick = RwSignal::new(0u32);
    let progress = Resource::new(
        move || (started(), tick.get()),
        move |(on, _)| {
            let next = on.then(&fetch);
            async move {
                match next {
                    Some(f) => f.await.ok().flatten(),
                    None => None,
                }
            }
        },
    );
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        if started() {
            let handle = set_interval_with_handle(
                move || {
                    let done = progress
                        .get_untracked()
                        .flatten()
                        .is_some_and(|p| finished(&p));
                    if !done {
                        tick.update(|t| *t += 1);
                    }
                },
                std::time::Duration::from_millis(500),
            );
            if let Ok(h) = handle {
                on_cleanup(move || h.clear());
            }
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (finished, tick);
    progress
}
