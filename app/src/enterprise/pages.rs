use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::i18n::use_i18n;
use crate::pages::{ErrorMessage, ErrorNotice, UploadOutcome, action_error, succeeded};

fn state_key(s: &str) -> &'static str {
    match s {
        "eligible" => "ent.match.eligible",
        "ineligible" => "ent.match.ineligible",
        _ => "ent.match.unknown",
    }
}

fn level_key(s: &str) -> &'static str {
    match s {
        "red" => "ent.level.red",
        "yellow" => "ent.level.yellow",
        _ => "ent.level.blue",
    }
}

/// A query value percent-encoded (UTF-8).
fn enc(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn field_key(s: &str) -> String {
    format!("ent.field.{s}")
}

/// The 企服通 sub-navigation.
#[component]
fn EntNav() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <nav class="subnav" aria-label=i18n.t("ent.title")>
            <A href="/enterprise">{i18n.t("ent.home")}</A>
            <A href="/enterprise/space">{i18n.t("ent.space.title")}</A>
            <A href="/enterprise/services">{i18n.t("ent.services.title")}</A>
        </nav>
    }
}

/// Policies judged for one enterprise, each with its reasons.
#[component]
fn PolicyList(list: Vec<PolicyMatch>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ul class="cards" id="ent-policies">
            {list.into_iter().map(|p| {
                let state = p.state.clone();
                view! {
                    <li class=format!("card ent-policy ent-{state}") data-state=state.clone()>
                        <h3>{p.title.clone()}</h3>
                        <p class="meta">
                            <span class=format!("badge ent-{state}")>{i18n.t(state_key(&state))}</span>
                            {(!p.deadline.is_empty()).then(|| view! { " " {i18n.t("ent.deadline")} " " {p.deadline.clone()} })}
                            {p.pushed.then(|| view! { " · " {i18n.t("ent.pushed")} })}
                        </p>
                        {(!p.summary.is_empty()).then(|| view! { <p>{p.summary.clone()}</p> })}
                        <ul class="reasons">
                            {p.reasons.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}
                            {p.missing.into_iter().map(|m| {
                                let key = field_key(&m);
                                view! { <li class="missing">{i18n.t("ent.missing")} " " {move || i18n.tr(&key)}</li> }
                            }).collect_view()}
                        </ul>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

/// 企服通 home: an enterprise account's file, policies for it, its
/// requests; for anyone else, what the service offers.
#[component]
pub fn EnterpriseHome() -> impl IntoView {
    let i18n = use_i18n();
    let file = ServerAction::<EntFileRequest>::new();
    let rate = ServerAction::<EntRate>::new();
    let data = Resource::new(
        move || (file.version().get(), rate.version().get()),
        |_| ent_home(),
    );
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.title")}</h1>
            <p class="intro">{i18n.t("ent.intro")}</p>
            <EntNav />
            <ErrorNotice error=action_error(file) />
            <ErrorNotice error=action_error(rate) />
            {move || file.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice ok" role="status">{i18n.t("ent.request.filed")}</p>
            })}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(h) => match h.enterprise.clone() {
                            None => view! { <p class="empty">{i18n.t("ent.not_member")}</p> }.into_any(),
                            Some(e) => view! { <HomeBody h e file rate /> }.into_any(),
                        },
                    }
                })}
            </Transition>
        </section>
    }
}

/// A request's files (photos open, PDFs download) and, while it is not
/// closed, a plain upload form (works without JavaScript; the server
/// redirects back to `from`'s page with the outcome).
#[component]
fn RequestFiles(r: RequestItem, from: &'static str, title_id: String) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let id = r.id;
    let field = format!("{from}-file-{id}");
    let hint = format!("{field}-hint");
    view! {
        {(!r.attachments.is_empty()).then(|| view! {
            <ul class="files" aria-label=i18n.t("ent.files.title")>
                {r.attachments.iter().map(|(aid, kind, name)| {
                    let href = format!("/media/ent-attachments/{aid}");
                    if kind == "pdf" {
                        view! { <li><a href=href download=name.clone()><span aria-hidden="true">"📄 "</span>{name.clone()}</a></li> }.into_any()
                    } else {
                        view! { <li><a href=format!("{href}?size=phone") target="_blank" rel="noopener">
                            <img src=format!("{href}?size=thumb") loading="lazy" alt=name.clone() width="96" height="72" />
                        </a></li> }.into_any()
                    }
                }).collect_view()}
            </ul>
        })}
        // An upload comes back here (`?for=` this request) with its outcome.
        {move || (query.read().get("for") == Some(id.to_string())).then(|| view! { <UploadOutcome done_key="ent.files.done" /> })}
        {(r.state != "closed" && r.attachments.len() < 5).then(|| view! {
            <form method="post" action=format!("/enterprise/requests/{id}/attachments?from={from}") enctype="multipart/form-data" class="stack files-form">
                <label for=field.clone()>{i18n.t("ent.files.add")}</label>
                <input id=field.clone() name="file" type="file" accept="image/jpeg,image/png,image/webp,application/pdf,.pdf" required aria-describedby=hint.clone() />
                <p class="meta" id=hint>{i18n.t("ent.files.hint")}</p>
                <button type="submit" class="secondary" aria-describedby=title_id>{i18n.t("ent.files.upload")}</button>
            </form>
        })}
    }
}

#[component]
fn HomeBody(
    h: HomeView,
    e: EntItem,
    file: ServerAction<EntFileRequest>,
    rate: ServerAction<EntRate>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" aria-labelledby="ent-me">
            <h2 id="ent-me">{e.name.clone()}</h2>
            <dl class="facts">
                <dt>{i18n.t("ent.field.credit_code")}</dt><dd>{e.credit_code.clone()}</dd>
                <dt>{i18n.t("ent.field.building")}</dt><dd>{format!("{} {}", e.building, e.unit)}</dd>
                <dt>{i18n.t("ent.field.lease_end")}</dt><dd>{e.lease_end.clone()}</dd>
                <dt>{i18n.t("ent.tags")}</dt><dd>{e.tags.join("、")}</dd>
            </dl>
        </section>
        <section aria-labelledby="ent-for-me">
            <h2 id="ent-for-me">{i18n.t("ent.for_me")}</h2>
            <p class="meta">{i18n.t("ent.for_me.hint")}</p>
            <PolicyList list=h.policies.clone() />
        </section>
        <section class="card" aria-labelledby="ent-new-request">
            <h2 id="ent-new-request">{i18n.t("ent.request.new")}</h2>
            <ActionForm action=file attr:class="stack" attr:id="ent-request-form">
                <label for="er-kind">{i18n.t("ent.request.kind")}</label>
                <select id="er-kind" name="kind">
                    {h.kinds.iter().map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> }).collect_view()}
                </select>
                <label for="er-title">{i18n.t("ent.request.subject")}</label>
                <input id="er-title" name="title" required minlength="2" maxlength="100" />
                <label for="er-desc">{i18n.t("ent.request.description")}</label>
                <textarea id="er-desc" name="description" rows="4" required minlength="5" maxlength="2000"></textarea>
                <button type="submit">{i18n.t("ent.request.submit")}</button>
            </ActionForm>
        </section>
        <section aria-labelledby="ent-my-requests">
            <h2 id="ent-my-requests">{i18n.t("ent.request.mine")}</h2>
            {h.requests.is_empty().then(|| view! { <p class="empty">{i18n.t("ent.request.none")}</p> })}
            <ul class="cards" id="ent-requests">
                {h.requests.into_iter().map(|r| {
                    let id = r.id;
                    let field = format!("rate-{id}");
                    view! {
                        <li class="card" id=format!("ent-request-{id}")>
                            <h3 id=format!("ent-request-title-{id}")>{r.title.clone()}</h3>
                            <p class="meta">{r.kind.clone()} " · " {r.department.clone()} " · " {r.created.clone()}
                                " " <span class="badge">{match r.state.as_str() {
                                    "open" => r.stage_name.clone(),
                                    "answered" => i18n.t("ent.request.answered")().to_owned(),
                                    _ => i18n.t("ent.request.closed")().to_owned(),
                                }}</span>
                            </p>
                            <p>{r.description.clone()}</p>
                            {(!r.answer.is_empty()).then(|| view! { <p class="answer"><strong>{i18n.t("ent.request.answer")}</strong> " " {r.answer.clone()}</p> })}
                            {r.rating.map(|n| view! { <p class="meta">{i18n.t("ent.request.rated")} " " {n} "/5"</p> })}
                            <RequestFiles r=r.clone() from="home" title_id=format!("ent-request-title-{id}") />
                            {(r.state == "answered").then(|| view! {
                                <ActionForm action=rate attr:class="stack">
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <label for=field.clone()>{i18n.t("ent.request.rate")}</label>
                                    <select id=field.clone() name="rating">
                                        <option value="5">"5"</option><option value="4">"4"</option><option value="3">"3"</option><option value="2">"2"</option><option value="1">"1"</option>
                                    </select>
                                    <button type="submit" class="secondary">{i18n.t("ent.request.rate_submit")}</button>
                                </ActionForm>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
        </section>
    }
}

/// 找场地: vacant units.
#[component]
pub fn SpacePage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let data = Resource::new(
        move || query.read().get("min_area").unwrap_or_default(),
        ent_spaces,
    );
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.space.title")}</h1>
            <EntNav />
            <form method="get" class="filters">
                <label for="sp-area">{i18n.t("ent.space.min_area")}</label>
                <input id="sp-area" name="min_area" type="number" min="0" step="10" inputmode="numeric" />
                <button type="submit" class="secondary">{i18n.t("ent.search")}</button>
            </form>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("ent.space.none")}</p> }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="stack" id="ent-spaces">
                                    <thead><tr>
                                        <th scope="col">{i18n.t("ent.field.building")}</th>
                                        <th scope="col">{i18n.t("ent.space.unit")}</th>
                                        <th scope="col">{i18n.t("ent.space.area")}</th>
                                        <th scope="col">{i18n.t("ent.space.rent")}</th>
                                        <th scope="col">{i18n.t("ent.space.property")}</th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|x| view! {
                                            <tr>
                                                <th scope="row">{x.building} <span class="meta">{x.address}</span></th>
                                                <td data-label=i18n.t("ent.space.unit")>{x.unit} " " <span class="meta">{x.note}</span></td>
                                                <td class="num" data-label=i18n.t("ent.space.area")>{x.area}</td>
                                                <td class="num" data-label=i18n.t("ent.space.rent")>{x.rent}</td>
                                                <td data-label=i18n.t("ent.space.property")>{x.property}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

const PROVIDER_KINDS: [&str; 6] = ["bank", "investor", "accounting", "law", "broker", "funding"];

/// 找服务 / 找资金: providers and funding programmes by need.
#[component]
pub fn ServicesPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let save = ServerAction::<EntSaveProvider>::new();
    let remove = ServerAction::<EntRemoveProvider>::new();
    // Only saves and removals that succeeded read the list again: a refused
    // one leaves the page as it is, with what was typed, to be corrected.
    // After each save the new-provider form starts empty again.
    let saved = succeeded(save);
    let removed = succeeded(remove);
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("kind").unwrap_or_default(),
                q.get("q").unwrap_or_default(),
                saved.get() + removed.get(),
            )
        },
        |(k, q, _)| ent_providers(k, q),
    );
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.services.title")}</h1>
            <EntNav />
            <ErrorNotice error=action_error(save) />
            <ErrorNotice error=action_error(remove) />
            {move || {
                let ok = matches!(save.value().get(), Some(Ok(_))) || matches!(remove.value().get(), Some(Ok(())));
                ok.then(|| view! { <p class="notice ok" role="status">{i18n.t("ent.leases.saved")}</p> })
            }}
            <form method="get" class="filters" id="ent-services-search">
                <label for="pv-kind">{i18n.t("ent.services.kind")}</label>
                <select id="pv-kind" name="kind">
                    <option value="">{i18n.t("ent.all")}</option>
                    {PROVIDER_KINDS.iter().map(|k| {
                        let key = format!("ent.provider.{k}");
                        view! { <option value=*k>{move || i18n.tr(&key)}</option> }
                    }).collect_view()}
                </select>
                <label for="pv-q">{i18n.t("ent.services.need")}</label>
                <input id="pv-q" name="q" maxlength="40" />
                <button type="submit" class="secondary">{i18n.t("ent.search")}</button>
            </form>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(v) => {
                            let street = v.street;
                            let empty = v.list.is_empty();
                            let list = v.list;
                            view! {
                                {empty.then(|| view! { <p class="empty">{i18n.t("ent.services.none")}</p> })}
                                // Keyed by the provider and what it says: a refetch never
                                // leaves one provider's typed text in another's card.
                                <ul class="cards" id="ent-providers">
                                    <For each=move || list.clone() key=|p: &ProviderItem| p.clone() let:p>
                                    {
                                        let key = format!("ent.provider.{}", p.kind);
                                        let url = p.url.clone();
                                        view! {
                                            <li class="card" id=format!("provider-{}", p.id)>
                                                <h3>{p.name.clone()}</h3>
                                                <p class="meta"><span class="badge">{move || i18n.tr(&key)}</span> " " {p.contact.clone()}</p>
                                                <p>{p.services.clone()}</p>
                                                {(!url.is_empty()).then(|| view! {
                                                    <p><a href=url.clone() rel="noopener noreferrer nofollow" target="_blank">{url.clone()}</a></p>
                                                })}
                                                {street.then(|| view! {
                                                    <details>
                                                        <summary>{i18n.t("ent.provider.edit")}</summary>
                                                        <ProviderForm save p=Some(p.clone()) />
                                                        <ActionForm action=remove>
                                                            <input type="hidden" name="id" value=p.id.to_string() />
                                                            <button type="submit" class="secondary danger">{i18n.t("ent.provider.remove")}</button>
                                                        </ActionForm>
                                                    </details>
                                                })}
                                            </li>
                                        }
                                    }
                                    </For>
                                </ul>
                                {street.then(|| view! {
                                    <For each=move || [saved.get()] key=|n| *n let:_n>
                                        <details class="card" id="ent-provider-new">
                                            <summary>{i18n.t("ent.provider.new")}</summary>
                                            <ProviderForm save p=None />
                                        </details>
                                    </For>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// The street office's form for one provider (a new one when `p` is none).
#[component]
fn ProviderForm(save: ServerAction<EntSaveProvider>, p: Option<ProviderItem>) -> impl IntoView {
    let i18n = use_i18n();
    let tag = p.as_ref().map_or("new".to_owned(), |p| p.id.to_string());
    let f = move |name: &str| format!("pv-{name}-{tag}");
    let p = p.unwrap_or(ProviderItem {
        id: 0,
        kind: String::new(),
        name: String::new(),
        services: String::new(),
        contact: String::new(),
        url: String::new(),
    });
    let id = if p.id == 0 {
        String::new()
    } else {
        p.id.to_string()
    };
    view! {
        <ActionForm action=save attr:class="stack">
            <input type="hidden" name="id" value=id />
            <label for=f("kind")>{i18n.t("ent.services.kind")}</label>
            <select id=f("kind") name="kind">
                {PROVIDER_KINDS.iter().map(|k| {
                    let key = format!("ent.provider.{k}");
                    view! { <option value=*k selected=p.kind == *k>{move || i18n.tr(&key)}</option> }
                }).collect_view()}
            </select>
            <label for=f("name")>{i18n.t("ent.provider.name")}</label>
            <input id=f("name") name="name" required minlength="2" maxlength="100" value=p.name.clone() />
            <label for=f("services")>{i18n.t("ent.provider.services")}</label>
            <textarea id=f("services") name="services" rows="3" required minlength="2" maxlength="500">{p.services.clone()}</textarea>
            <label for=f("contact")>{i18n.t("ent.provider.contact")}</label>
            <input id=f("contact") name="contact" maxlength="100" value=p.contact.clone() />
            <label for=f("url")>{i18n.t("ent.provider.url")}</label>
            <input id=f("url") name="url" type="url" maxlength="200" value=p.url.clone() placeholder="https://" />
            <button type="submit">{i18n.t("ent.leases.save")}</button>
        </ActionForm>
    }
}

/// The register for street and community staff and building managers.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let review = ServerAction::<EntReview>::new();
    let import = ServerAction::<EntImportStart>::new();
    // Set once a queued import has finished: the register is read again.
    let imported = RwSignal::new(false);
    let data = Resource::new(
        move || {
            let q = query.read();
            let g = |k: &str| q.get(k).unwrap_or_default();
            (
                (g("q"), g("building"), g("industry")),
                (g("tag"), g("review"), g("page")),
                (review.version().get(), imported.get()),
            )
        },
        |((q, b, i), (t, r, p), _)| ent_register(q, b, i, t, r, p),
    );
    let file = move || query.read().get("file");
    let upload_error = move || {
        query
            .read()
            .get("upload_error")
            .filter(|k| k.starts_with("err."))
    };
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.register.title")}</h1>
            <p class="intro">{i18n.t("ent.register.intro")}</p>
            <nav class="subnav" aria-label=i18n.t("ent.register.title")>
                <A href="/enterprise/requests">{i18n.t("ent.queue.title")}</A>
                <A href="/enterprise/leases">{i18n.t("ent.leases.title")}</A>
                <A href="/enterprise/policies">{i18n.t("ent.policies.title")}</A>
                <A href="/enterprise/dashboard">{i18n.t("ent.dash.title")}</A>
                <A href="/enterprise/buildings" attr:id="open-buildings">{i18n.t("ent.buildings.title")}</A>
            </nav>
            {move || upload_error().map(|k| view! { <ErrorMessage key=k /> })}
            <ErrorNotice error=action_error(review) />
            <ErrorNotice error=action_error(import) />
            {move || file().map(|token| view! { <ImportPreview token import imported /> })}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(v) => view! { <RegisterBody v review /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ImportPreview(
    token: String,
    import: ServerAction<EntImportStart>,
    imported: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let preview = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        ent_import,
    );
    // A run started before a reload counts too: its progress is shown and
    // the file is not offered for import again.
    let earlier = Resource::new(
        {
            let token = token.clone();
            move || token.clone()
        },
        ent_import_progress,
    );
    let started = move || {
        matches!(import.value().get(), Some(Ok(_)))
            || earlier.get().is_some_and(|r| matches!(r, Ok(Some(_))))
    };
    let progress = {
        let token = token.clone();
        crate::pages::import::polled(
            started,
            move || ent_import_progress(token.clone()),
            |p| p.finished,
        )
    };
    Effect::new(move |_| {
        if progress.get().flatten().is_some_and(|p| p.finished) {
            imported.set(true);
        }
    });
    view! {
        <section class="card" id="ent-import-preview">
            <h2>{i18n.t("ent.import.preview")}</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    progress.await.map(|p| {
                        let label = format!("{} / {}", p.done, p.total);
                        view! {
                            <div id="ent-import-progress" aria-live="polite">
                                <label for="ent-import-bar">{i18n.t("import.progress")} " " {label}</label>
                                <progress id="ent-import-bar" max=p.total.max(1).to_string() value=p.done.to_string()></progress>
                                {p.finished.then(|| match &p.error {
                                    Some(k) => {
                                        let k = k.clone();
                                        view! { <p class="notice error" role="alert">{i18n.t("import.failed")} " " {move || i18n.tr(&k)}</p> }.into_any()
                                    }
                                    None => view! {
                                        <p class="notice ok" role="status" id="ent-import-done">
                                            {i18n.t("ent.import.done")} " " {i18n.t("ent.import.created")} " " {p.created.unwrap_or(0)}
                                            " · " {i18n.t("ent.import.updated")} " " {p.updated.unwrap_or(0)}
                                            " · " {i18n.t("ent.import.flagged")} " " {p.flagged.unwrap_or(0)}
                                        </p>
                                    }.into_any(),
                                })}
                            </div>
                        }
                    })
                })}
            </Suspense>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || {
                    let token = token.clone();
                    Suspend::new(async move {
                        match preview.await {
                            Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                            Ok(r) => {
                                let ok = r.errors.is_empty();
                                view! {
                                    <p id="ent-import-counts">
                                        {i18n.t("ent.import.rows")} " " {r.rows} " · "
                                        {i18n.t("ent.import.created")} " " {r.created} " · "
                                        {i18n.t("ent.import.updated")} " " {r.updated} " · "
                                        {i18n.t("ent.import.unchanged")} " " {r.unchanged}
                                    </p>
                                    {(!r.errors.is_empty()).then(|| view! {
                                        <div class="notice error" role="alert" id="ent-import-errors">
                                            <p>{i18n.t("ent.import.has_errors")}</p>
                                            <ul>{r.errors.iter().map(|(row, f, rule)| {
                                                let key = field_key(f);
                                                let rule_key = format!("ent.rule.{rule}");
                                                view! { <li>{i18n.t("ent.import.row")} " " {*row} "：" {move || i18n.tr(&key)} " " {move || i18n.tr(&rule_key)}</li> }
                                            }).collect_view()}</ul>
                                        </div>
                                    })}
                                    {(!r.flagged.is_empty()).then(|| view! {
                                        <div class="notice" id="ent-import-flagged">
                                            <p>{i18n.t("ent.import.flagged_hint")}</p>
                                            <ul>{r.flagged.iter().map(|(row, code, _, expected)| view! {
                                                <li>{i18n.t("ent.import.row")} " " {*row} "：" <code>{code.clone()}</code>
                                                    {(!expected.is_empty()).then(|| view! { " " {i18n.t("ent.import.expected")} " " <code>{expected.clone()}</code> })}
                                                </li>
                                            }).collect_view()}</ul>
                                        </div>
                                    })}
                                    {(!r.changes.is_empty()).then(|| view! {
                                        <ul class="meta">{r.changes.iter().map(|(row, name, fields)| view! {
                                            <li>{i18n.t("ent.import.row")} " " {*row} "：" {name.clone()} " — " {fields.clone()}</li>
                                        }).collect_view()}</ul>
                                    })}
                                    {ok.then(|| view! {
                                        <ActionForm action=import attr:id="ent-import-go">
                                            <input type="hidden" name="file" value=token.clone() />
                                            <button type="submit" disabled=move || import.pending().get() || started()>{i18n.t("ent.import.go")}</button>
                                        </ActionForm>
                                    })}
                                }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn RegisterBody(v: RegisterView, review: ServerAction<EntReview>) -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let page_link = move |p: u64| {
        let q = query.read();
        let mut parts: Vec<String> = ["q", "building", "industry", "tag", "review"]
            .iter()
            .filter_map(|k| q.get(k).map(|v| format!("{k}={}", enc(&v))))
            .collect();
        parts.push(format!("page={p}"));
        format!("/enterprise/register?{}", parts.join("&"))
    };
    let (page, pages) = (v.page, v.pages);
    view! {
        {v.street.then(|| view! {
            <form method="post" action="/enterprise/register/upload" enctype="multipart/form-data" class="stack card" id="ent-upload">
                <label for="ent-file">{i18n.t("ent.import.file")}</label>
                <input id="ent-file" name="file" type="file" accept=".csv,.xlsx" required />
                <p class="meta">{i18n.t("ent.import.hint")}</p>
                <button type="submit" class="secondary">{i18n.t("ent.import.upload")}</button>
            </form>
        })}
        <form method="get" class="filters" id="ent-filters">
            <label for="rf-q">{i18n.t("ent.register.search")}</label>
            <input id="rf-q" name="q" maxlength="50" />
            <label for="rf-building">{i18n.t("ent.field.building")}</label>
            <select id="rf-building" name="building">
                <option value="">{i18n.t("ent.all")}</option>
                {v.buildings.iter().map(|(id, n)| view! { <option value=id.to_string()>{n.clone()}</option> }).collect_view()}
            </select>
            <label for="rf-review">{i18n.t("ent.register.review")}</label>
            <select id="rf-review" name="review">
                <option value="">{i18n.t("ent.all")}</option>
                <option value="pending">{i18n.t("ent.review.pending")}</option>
                <option value="reviewed">{i18n.t("ent.review.reviewed")}</option>
                <option value="flagged">{i18n.t("ent.review.flagged")}</option>
            </select>
            <button type="submit" class="secondary">{i18n.t("ent.search")}</button>
        </form>
        <p class="meta" id="ent-total">{i18n.t("ent.register.total")} " " {v.total}</p>
        <div class="table-wrap">
            <table class="stack" id="ent-register">
                <thead><tr>
                    <th scope="col">{i18n.t("ent.field.name")}</th>
                    <th scope="col">{i18n.t("ent.field.credit_code")}</th>
                    <th scope="col">{i18n.t("ent.field.industry_code")}</th>
                    <th scope="col">{i18n.t("ent.field.annual_tax")}</th>
                    <th scope="col">{i18n.t("ent.field.building")}</th>
                    <th scope="col">{i18n.t("ent.field.lease_end")}</th>
                    <th scope="col">{i18n.t("ent.register.review")}</th>
                </tr></thead>
                <tbody>
                    {v.rows.into_iter().map(|e| {
                        let id = e.id;
                        view! {
                            <tr id=format!("ent-{id}")>
                                <th scope="row"><A href=format!("/enterprise/register/{id}")>{e.name.clone()}</A>
                                    <span class="meta">{e.tags.join("、")}</span></th>
                                <td data-label=i18n.t("ent.field.credit_code")><code>{e.credit_code.clone()}</code>
                                    {e.flagged.then(|| view! { " " <span class="badge warn">{i18n.t("ent.review.flagged")}</span> })}</td>
                                <td data-label=i18n.t("ent.field.industry_code")>{e.industry.clone()}</td>
                                <td class="num" data-label=i18n.t("ent.field.annual_tax")>{e.tax.clone()}</td>
                                <td data-label=i18n.t("ent.field.building")>{format!("{} {}", e.building, e.unit)}</td>
                                <td data-label=i18n.t("ent.field.lease_end")>{e.lease_end.clone()}</td>
                                <td data-label=i18n.t("ent.register.review")>
                                    {if e.reviewed {
                                        view! { <span class="badge">{i18n.t("ent.review.reviewed")}</span> }.into_any()
                                    } else {
                                        view! {
                                            <ActionForm action=review>
                                                <input type="hidden" name="id" value=id.to_string() />
                                                <button type="submit" class="secondary">{i18n.t("ent.review.do")}</button>
                                            </ActionForm>
                                        }.into_any()
                                    }}
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label=i18n.t("ent.pages")>
            {(page > 0).then(|| view! { <a href=page_link(page - 1)>{i18n.t("ent.prev")}</a> })}
            " " {page + 1} " / " {pages.max(1)} " "
            {(page + 1 < pages).then(|| view! { <a href=page_link(page + 1)>{i18n.t("ent.next")}</a> })}
        </nav>
    }
}

/// One enterprise's file: figures, tags, policies judged for it, visits.
#[component]
pub fn EnterpriseFilePage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let visit = ServerAction::<EntVisit>::new();
    let tags = ServerAction::<EntSetTags>::new();
    let link = ServerAction::<EntLinkAccount>::new();
    let follow = ServerAction::<EntFollowUpDone>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                visit.version().get()
                    + tags.version().get()
                    + link.version().get()
                    + follow.version().get(),
            )
        },
        |(id, _)| ent_file(id),
    );
    // Each form says "saved" by itself, not for the others.
    let saved = move |ok: bool| {
        ok.then(|| view! { <p class="notice ok" role="status">{i18n.t("ent.leases.saved")}</p> })
    };
    let tags_saved = move || saved(matches!(tags.value().get(), Some(Ok(()))));
    let link_saved = move || saved(matches!(link.value().get(), Some(Ok(()))));
    view! {
        <section class="page enterprise">
            <p><A href="/enterprise/register">{i18n.t("ent.register.title")}</A></p>
            <ErrorNotice error=action_error(visit) />
            <ErrorNotice error=action_error(tags) />
            <ErrorNotice error=action_error(link) />
            <ErrorNotice error=action_error(follow) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(f) => {
                            let e = f.enterprise.clone();
                            let eid = e.id;
                            view! {
                                <h1>{e.name.clone()}</h1>
                                <dl class="facts card">
                                    <dt>{i18n.t("ent.field.credit_code")}</dt><dd><code>{e.credit_code.clone()}</code>
                                        {e.flagged.then(|| view! { " " <span class="badge warn">{i18n.t("ent.review.flagged")}</span> })}</dd>
                                    <dt>{i18n.t("ent.field.legal_rep")}</dt><dd>{e.legal_rep.clone()}</dd>
                                    <dt>{i18n.t("ent.field.industry_code")}</dt><dd>{e.industry.clone()}</dd>
                                    <dt>{i18n.t("ent.field.employees")}</dt><dd>{e.employees.clone()}</dd>
                                    <dt>{i18n.t("ent.field.annual_tax")}</dt><dd>{e.tax.clone()}</dd>
                                    <dt>{i18n.t("ent.field.building")}</dt><dd>{format!("{} {}", e.building, e.unit)}</dd>
                                    <dt>{i18n.t("ent.field.lease_end")}</dt><dd>{e.lease_end.clone()}</dd>
                                    <dt>{i18n.t("ent.field.contact_phone")}</dt><dd>{e.contact.clone()}</dd>
                                    <dt>{i18n.t("ent.field.grade")}</dt><dd>{e.grade.clone()}</dd>
                                    <dt>{i18n.t("ent.tags")}</dt><dd>{e.tags.join("、")}</dd>
                                </dl>
                                <section aria-labelledby="ent-file-policies">
                                    <h2 id="ent-file-policies">{i18n.t("ent.for_it")}</h2>
                                    <PolicyList list=f.policies.clone() />
                                </section>
                                {f.staff.then(|| {
                                    let options = f.manual_tags.clone();
                                    let grade = e.grade.clone();
                                    view! {
                                    <section class="card" aria-labelledby="ent-tags-title">
                                        <h2 id="ent-tags-title">{i18n.t("ent.tags.manual")}</h2>
                                        <ActionForm action=tags attr:class="stack" attr:id="ent-tags-form">
                                            <input type="hidden" name="id" value=eid.to_string() />
                                            <fieldset aria-describedby="et-tags-hint">
                                                <legend>{i18n.t("ent.tags.certified")}</legend>
                                                <p class="meta" id="et-tags-hint">{i18n.t("ent.tags.hint")}</p>
                                                {options.into_iter().enumerate().map(|(i, (t, on))| view! {
                                                    <label class="check">
                                                        <input type="checkbox" name=format!("tags[{i}]") value=t.clone() checked=on />
                                                        " " {t.clone()}
                                                    </label>
                                                }).collect_view()}
                                            </fieldset>
                                            <label for="et-grade">{i18n.t("ent.field.grade")}</label>
                                            <select id="et-grade" name="grade">
                                                <option value="" selected=grade.is_empty()>{i18n.t("ent.grade.none")}</option>
                                                {["A", "B", "C"].into_iter().map(|g| view! { <option value=g selected=grade == g>{g}</option> }).collect_view()}
                                            </select>
                                            <button type="submit" class="secondary">{i18n.t("ent.leases.save")}</button>
                                        </ActionForm>
                                        {tags_saved}
                                    </section>
                                    {f.street.then(|| view! {
                                        <section class="card" aria-labelledby="ent-link-title">
                                            <h2 id="ent-link-title">{i18n.t("ent.link.title")}</h2>
                                            <p class="meta">{i18n.t("ent.link.hint")}</p>
                                            <ActionForm action=link attr:class="stack" attr:id="ent-link-form">
                                                <input type="hidden" name="id" value=eid.to_string() />
                                                <label for="el-phone">{i18n.t("me.phone")}</label>
                                                <input id="el-phone" name="phone" type="tel" inputmode="tel" autocomplete="off" required maxlength="20" />
                                                <button type="submit" class="secondary">{i18n.t("ent.link.submit")}</button>
                                            </ActionForm>
                                            {link_saved}
                                        </section>
                                    })}
                                    }
                                })}
                                {f.staff.then(|| view! {
                                    <section aria-labelledby="ent-visits">
                                        <h2 id="ent-visits">{i18n.t("ent.visits")}</h2>
                                        <ol class="timeline">
                                            {f.visits.iter().map(|v| {
                                                let vid = v.id;
                                                let done = v.follow_up_done;
                                                view! {
                                                <li id=format!("visit-{vid}")><strong id=format!("visit-on-{vid}")>{v.on.clone()}</strong> " " {v.note.clone()}
                                                    {(!v.follow_up.is_empty()).then(|| view! {
                                                        <p class="meta">
                                                            {i18n.t("ent.visit.follow_up")} " " {v.follow_up.clone()} " "
                                                            <span class=if done { "badge ok" } else { "badge warn" }>
                                                                {i18n.t(if done { "ent.visit.done" } else { "ent.visit.open" })}
                                                            </span>
                                                        </p>
                                                        {(!done).then(|| view! {
                                                            <ActionForm action=follow attr:class="inline">
                                                                <input type="hidden" name="visit" value=vid.to_string() />
                                                                <button type="submit" class="secondary" aria-describedby=format!("visit-on-{vid}")>{i18n.t("ent.visit.finish")}</button>
                                                            </ActionForm>
                                                        })}
                                                    })}
                                                </li>
                                            }}).collect_view()}
                                        </ol>
                                        <ActionForm action=visit attr:class="stack card">
                                            <input type="hidden" name="id" value=eid.to_string() />
                                            <label for="ev-on">{i18n.t("ent.visit.on")}</label>
                                            <input id="ev-on" name="visited_on" type="date" />
                                            <label for="ev-note">{i18n.t("ent.visit.note")}</label>
                                            <textarea id="ev-note" name="note" rows="3" required minlength="2" maxlength="2000"></textarea>
                                            <label for="ev-follow">{i18n.t("ent.visit.follow_up")}</label>
                                            <input id="ev-follow" name="follow_up" maxlength="1000" />
                                            <button type="submit">{i18n.t("ent.visit.save")}</button>
                                        </ActionForm>
                                    </section>
                                })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// 红黄蓝预警: leases ending soon in the viewer's buildings.
#[component]
pub fn LeasesPage() -> impl IntoView {
    let i18n = use_i18n();
    let record = ServerAction::<EntLeaseRecord>::new();
    let data = Resource::new(move || record.version().get(), |_| ent_leases());
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.leases.title")}</h1>
            <p class="intro">{i18n.t("ent.leases.intro")}</p>
            <ErrorNotice error=action_error(record) />
            {move || record.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice ok" role="status">{i18n.t("ent.leases.saved")}</p>
            })}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) => {
                            let count = |l: &str| list.iter().filter(|a| a.level == l && a.outcome.is_empty()).count();
                            let (r, y, b) = (count("red"), count("yellow"), count("blue"));
                            view! {
                                <p class="lease-counts" id="ent-lease-counts">
                                    <span class="badge lease-red">{i18n.t("ent.level.red")} " " {r}</span> " "
                                    <span class="badge lease-yellow">{i18n.t("ent.level.yellow")} " " {y}</span> " "
                                    <span class="badge lease-blue">{i18n.t("ent.level.blue")} " " {b}</span>
                                </p>
                                {list.is_empty().then(|| view! { <p class="empty">{i18n.t("ent.leases.none")}</p> })}
                                <ul class="cards" id="ent-leases">
                                    {list.into_iter().map(|a| view! { <LeaseCard a record /> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LeaseCard(a: AlertItem, record: ServerAction<EntLeaseRecord>) -> impl IntoView {
    let i18n = use_i18n();
    let id = a.id;
    let level = a.level.clone();
    let out_id = format!("lo-{id}");
    let note_id = format!("ln-{id}");
    view! {
        <li class=format!("card lease lease-{level}") id=format!("lease-{id}") data-level=level.clone()>
            <h2>{a.enterprise.clone()}</h2>
            <p class="meta">
                <span class=format!("badge lease-{level}")>{i18n.t(level_key(&level))}</span>
                " " {a.building.clone()} " " {a.unit.clone()} " · "
                {i18n.t("ent.field.lease_end")} " " {a.lease_end.clone()}
                " · " {if a.days_left >= 0 {
                    format!("{} {}", a.days_left, i18n.t("ent.leases.days_left")())
                } else {
                    i18n.t("ent.leases.ended")().to_owned()
                }}
            </p>
            {if a.outcome.is_empty() {
                view! {
                    <ActionForm action=record attr:class="stack">
                        <input type="hidden" name="id" value=id.to_string() />
                        <label for=out_id.clone()>{i18n.t("ent.leases.outcome")}</label>
                        <select id=out_id.clone() name="outcome">
                            <option value="">{i18n.t("ent.leases.ack_only")}</option>
                            <option value="renewed">{i18n.t("ent.outcome.renewed")}</option>
                            <option value="moving_out">{i18n.t("ent.outcome.moving_out")}</option>
                            <option value="unknown">{i18n.t("ent.outcome.unknown")}</option>
                        </select>
                        <label for=note_id.clone()>{i18n.t("ent.leases.note")}</label>
                        <input id=note_id.clone() name="note" maxlength="500" />
                        <button type="submit">{i18n.t("ent.leases.save")}</button>
                    </ActionForm>
                }.into_any()
            } else {
                let key = format!("ent.outcome.{}", a.outcome);
                view! {
                    <p class="outcome"><strong>{move || i18n.tr(&key)}</strong> " " {a.note.clone()}</p>
                }.into_any()
            }}
            {(a.acknowledged && a.outcome.is_empty()).then(|| view! { <p class="meta">{i18n.t("ent.leases.acknowledged")}</p> })}
        </li>
    }
}

/// 诉求办理: staff's queue of requests.
#[component]
pub fn QueuePage() -> impl IntoView {
    let i18n = use_i18n();
    let accept = ServerAction::<EntAccept>::new();
    let answer = ServerAction::<EntAnswer>::new();
    let data = Resource::new(
        move || accept.version().get() + answer.version().get(),
        |_| ent_queue(),
    );
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.queue.title")}</h1>
            <ErrorNotice error=action_error(accept) />
            <ErrorNotice error=action_error(answer) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("ent.request.none")}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cards" id="ent-queue">
                                {list.into_iter().map(|r| {
                                    let id = r.id;
                                    let field = format!("ans-{id}");
                                    view! {
                                        <li class="card" id=format!("request-{id}") class:overdue=r.overdue>
                                            <h2 id=format!("request-title-{id}")>{r.title.clone()}</h2>
                                            <p class="meta">{r.enterprise.clone()} " · " {r.kind.clone()} " · " {r.department.clone()} " · " {r.created.clone()}</p>
                                            <p>{r.description.clone()}</p>
                                            {(r.state == "open").then(|| view! {
                                                <p class="meta"><span class="badge">{r.stage_name.clone()}</span>
                                                    " " {i18n.t("risk.due")} " " {r.due.clone()}
                                                    {r.overdue.then(|| view! { " " <strong class="overdue">{i18n.t("risk.overdue")}</strong> })}
                                                </p>
                                            })}
                                            {(!r.answer.is_empty()).then(|| view! { <p class="answer"><strong>{i18n.t("ent.request.answer")}</strong> " " {r.answer.clone()}</p> })}
                                            <RequestFiles r=r.clone() from="queue" title_id=format!("request-title-{id}") />
                                            {(r.state == "open" && r.stage == "accept").then(|| view! {
                                                <ActionForm action=accept>
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <button type="submit" class="secondary">{i18n.t("ent.queue.accept")}</button>
                                                </ActionForm>
                                            })}
                                            {(r.state == "open").then(|| view! {
                                                <ActionForm action=answer attr:class="stack">
                                                    <input type="hidden" name="id" value=id.to_string() />
                                                    <label for=field.clone()>{i18n.t("ent.request.answer")}</label>
                                                    <textarea id=field.clone() name="answer" rows="3" required minlength="2" maxlength="2000"></textarea>
                                                    <button type="submit">{i18n.t("ent.queue.answer")}</button>
                                                </ActionForm>
                                            })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// 惠企政策: the list with pushes and uptake, and a form to add or change.
#[component]
pub fn PoliciesPage() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<EntSavePolicy>::new();
    let data = Resource::new(move || save.version().get(), |_| ent_policies());
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.policies.title")}</h1>
            <p class="intro">{i18n.t("ent.policies.intro")}</p>
            <ErrorNotice error=action_error(save) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cards" id="ent-policy-list">
                                {list.into_iter().map(|p| view! {
                                    <li class="card">
                                        <h2>{p.title.clone()} " " <span class="meta">"v" {p.version}</span></h2>
                                        <p>{p.summary.clone()}</p>
                                        <p class="meta">{i18n.t("ent.policies.pushes")} " " {p.pushes} " · " {i18n.t("ent.policies.read")} " " {p.read}
                                            {(!p.deadline.is_empty()).then(|| view! { " · " {i18n.t("ent.deadline")} " " {p.deadline.clone()} })}
                                            {(!p.active).then(|| view! { " · " {i18n.t("ent.policies.inactive")} })}
                                        </p>
                                        <pre class="spec">{p.criteria.clone()}</pre>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
            <ActionForm action=save attr:class="stack card" attr:id="ent-policy-form">
                <h2>{i18n.t("ent.policies.new")}</h2>
                <label for="pf-id">{i18n.t("ent.policies.id")}</label>
                <input id="pf-id" name="id" inputmode="numeric" />
                <label for="pf-title">{i18n.t("ent.policies.name")}</label>
                <input id="pf-title" name="title" required maxlength="200" />
                <label for="pf-summary">{i18n.t("ent.policies.summary")}</label>
                <textarea id="pf-summary" name="summary" rows="2" maxlength="4000"></textarea>
                <label for="pf-criteria">{i18n.t("ent.policies.criteria")}</label>
                <textarea id="pf-criteria" name="criteria" rows="4" required>"{\"industries\": [\"I65\"], \"max_employees\": 300}"</textarea>
                <p class="meta">{i18n.t("ent.policies.criteria_hint")}</p>
                <label for="pf-deadline">{i18n.t("ent.deadline")}</label>
                <input id="pf-deadline" name="deadline" type="date" />
                <label><input type="checkbox" name="active" value="on" checked /> " " {i18n.t("ent.policies.active")}</label>
                <button type="submit">{i18n.t("ent.policies.save")}</button>
            </ActionForm>
        </section>
    }
}

fn bars(rows: &[(String, f64)], unit: &str) -> impl IntoView + use<> {
    let max = rows
        .iter()
        .map(|(_, v)| *v)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let h = 28.0 * rows.len() as f64 + 8.0;
    let unit = unit.to_owned();
    view! {
        <svg viewBox=format!("0 0 360 {h:.0}") role="img" aria-hidden="true" class="bars">
            {rows.iter().enumerate().map(|(i, (label, v))| {
                let y = 4.0 + 28.0 * i as f64;
                let w = 200.0 * v / max;
                view! {
                    <g>
                        <text x="0" y=format!("{:.0}", y + 16.0) class="bar-label">{label.chars().take(8).collect::<String>()}</text>
                        <rect x="110" y=format!("{y:.0}") width=format!("{w:.1}") height="20" class="bar" />
                        <text x=format!("{:.1}", 114.0 + w) y=format!("{:.0}", y + 15.0) class="bar-value">{format!("{v:.0}{unit}")}</text>
                    </g>
                }
            }).collect_view()}
        </svg>
    }
}

/// 经济数据驾驶舱 with SVG charts, their tables and the XLSX export.
#[component]
pub fn DashboardPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let data = Resource::new(
        move || {
            let q = query.read();
            (
                q.get("from").unwrap_or_default(),
                q.get("to").unwrap_or_default(),
            )
        },
        |(from, to)| ent_dashboard(from, to),
    );
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.dash.title")}</h1>
            // Outside the figures, so a period refused can be corrected: the
            // months asked for, or this year's.
            {move || {
                let q = query.read();
                let month = |k: &str| q.get(k).map(|v| v.chars().take(7).collect::<String>()).unwrap_or_default();
                let (from, to) = (month("from"), month("to"));
                view! {
                    <form method="get" action="/enterprise/dashboard" class="filters" id="ent-period">
                        <label for="ent-from">{i18n.t("report.from")}</label>
                        <input id="ent-from" name="from" type="month" value=from required />
                        <label for="ent-to">{i18n.t("report.to")}</label>
                        <input id="ent-to" name="to" type="month" value=to required />
                        <button type="submit">{i18n.t("report.show")}</button>
                    </form>
                }
            }}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(d) => {
                            let tax: Vec<(String, f64)> = d.buildings.iter().map(|b| (b.name.clone(), b.tax)).collect();
                            let mix: Vec<(String, f64)> = d.industries.iter().map(|(_, n, c)| (n.clone(), *c as f64)).collect();
                            view! {
                                <p id="ent-period-shown"><strong>{i18n.t("ent.dash.period")}</strong> " " {format!("{} — {}", d.from, d.to)}</p>
                                <p class="hint">{i18n.t("ent.dash.period_note")}</p>
                                <p><a href=format!("/enterprise/dashboard/export?from={}&to={}", d.from, d.to) class="button secondary" download>{i18n.t("ent.dash.export")}</a></p>
                                <dl class="kpis" id="ent-kpis">
                                    <div><dt>{i18n.t("ent.dash.enterprises")}</dt><dd>{d.enterprises}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.new")}</dt><dd>{d.new}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.moved_out")}</dt><dd>{d.moved_out}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.tax")}</dt><dd>{format!("{:.0}", d.tax)}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.above_10m")}</dt><dd>{d.above_10m}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.above_100m")}</dt><dd>{d.above_100m}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.leased")}</dt><dd>{format!("{:.0}", d.leased)}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.vacant")}</dt><dd>{format!("{:.0}", d.vacant)}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.requests")}</dt><dd>{d.requests} " / " {d.requests_closed}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.answer_hours")}</dt><dd>{d.answer_hours.clone()}</dd></div>
                                    <div><dt>{i18n.t("ent.dash.pushes")}</dt><dd>{d.pushes} " / " {d.pushes_read}</dd></div>
                                </dl>
                                <figure class="chart">
                                    <figcaption>{i18n.t("ent.dash.tax_by_building")}</figcaption>
                                    {bars(&tax, "")}
                                </figure>
                                <div class="table-wrap">
                                    <table class="stack" id="ent-buildings">
                                        <caption>{i18n.t("ent.dash.tax_by_building")}</caption>
                                        <thead><tr>
                                            <th scope="col">{i18n.t("ent.field.building")}</th>
                                            <th scope="col">{i18n.t("ent.dash.enterprises")}</th>
                                            <th scope="col">{i18n.t("ent.dash.tax")}</th>
                                            <th scope="col">{i18n.t("ent.dash.leased")}</th>
                                            <th scope="col">{i18n.t("ent.dash.vacant")}</th>
                                        </tr></thead>
                                        <tbody>
                                            {d.buildings.clone().into_iter().map(|b| view! {
                                                <tr>
                                                    <th scope="row"><A href=format!("/enterprise/register?building={}", b.id)>{b.name.clone()}</A></th>
                                                    <td class="num" data-label=i18n.t("ent.dash.enterprises")>{b.enterprises}</td>
                                                    <td class="num" data-label=i18n.t("ent.dash.tax")>{format!("{:.0}", b.tax)}</td>
                                                    <td class="num" data-label=i18n.t("ent.dash.leased")>{format!("{:.0}", b.leased)}</td>
                                                    <td class="num" data-label=i18n.t("ent.dash.vacant")>{format!("{:.0}", b.vacant)}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                <figure class="chart">
                                    <figcaption>{i18n.t("ent.dash.industries")}</figcaption>
                                    {bars(&mix, "")}
                                </figure>
                                <div class="table-wrap">
                                    <table class="stack" id="ent-industries">
                                        <caption>{i18n.t("ent.dash.industries")}</caption>
                                        <thead><tr><th scope="col">{i18n.t("ent.field.industry_code")}</th><th scope="col">{i18n.t("ent.dash.enterprises")}</th></tr></thead>
                                        <tbody>
                                            {d.industries.clone().into_iter().map(|(k, n, c)| view! {
                                                <tr>
                                                    <th scope="row"><A href=format!("/enterprise/register?industry={k}")>{format!("{k} {n}")}</A></th>
                                                    <td class="num" data-label=i18n.t("ent.dash.enterprises")>{c}</td>
                                                </tr>
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

/// 楼宇与房源: the street adds and edits buildings; the street, community
/// staff and each building's manager or property company keep its units
/// and say which stand vacant (what 找场地 lists).
#[component]
pub fn BuildingsPage() -> impl IntoView {
    let i18n = use_i18n();
    let save_b = ServerAction::<EntSaveBuilding>::new();
    let save_u = ServerAction::<EntSaveUnit>::new();
    let data = Resource::new(
        move || (save_b.version().get(), save_u.version().get()),
        |_| ent_buildings(),
    );
    let saved = move || {
        matches!(save_b.value().get(), Some(Ok(_))) || matches!(save_u.value().get(), Some(Ok(_)))
    };
    view! {
        <section class="page enterprise">
            <h1>{i18n.t("ent.buildings.title")}</h1>
            <p class="intro">{i18n.t("ent.buildings.intro")}</p>
            <ErrorNotice error=action_error(save_b) />
            <ErrorNotice error=action_error(save_u) />
            <Show when=saved>
                <p class="notice ok" role="status">{i18n.t("ent.leases.saved")}</p>
            </Show>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(v) => {
                            let communities = v.communities.clone();
                            view! {
                                {(!communities.is_empty()).then(|| view! {
                                    <details class="card" id="building-new">
                                        <summary>{i18n.t("ent.buildings.new")}</summary>
                                        <BuildingForm b=None communities=communities.clone() save=save_b />
                                    </details>
                                })}
                                {v.buildings.is_empty().then(|| view! { <p class="empty">{i18n.t("ent.buildings.none")}</p> })}
                                <ul class="cards" id="ent-buildings">
                                    {v.buildings.into_iter().map(|b| {
                                        let communities = communities.clone();
                                        let bid = b.id;
                                        view! {
                                            <li class="card" id=format!("building-{bid}")>
                                                <h2>{b.name.clone()} " " <span class="meta">{b.code.clone()}</span></h2>
                                                <p class="meta">{b.community.clone()} " · " {b.address.clone()}
                                                    {(!b.property_company.is_empty()).then(|| view! { " · " {i18n.t("ent.space.property")} " " {b.property_company.clone()} })}
                                                </p>
                                                {b.editable.then(|| view! {
                                                    <details>
                                                        <summary>{i18n.t("ent.buildings.edit")}</summary>
                                                        <BuildingForm b=Some(b.clone()) communities save=save_b />
                                                    </details>
                                                })}
                                                <h3>{i18n.t("ent.buildings.units")}</h3>
                                                <ul class="units">
                                                    {b.units.iter().cloned().map(|u| {
                                                        let vacant = u.vacant.to_string();
                                                        view! { <li data-vacant=vacant><UnitForm building=bid u=Some(u) save=save_u /></li> }
                                                    }).collect_view()}
                                                </ul>
                                                <details>
                                                    <summary>{i18n.t("ent.buildings.new_unit")}</summary>
                                                    <UnitForm building=bid u=None save=save_u />
                                                </details>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BuildingForm(
    b: Option<BuildingItem>,
    communities: Vec<(i64, String)>,
    save: ServerAction<EntSaveBuilding>,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = b
        .as_ref()
        .map(|b| b.id.to_string())
        .unwrap_or_else(|| "new".into());
    let id = move |f: &str| format!("b-{f}-{key}");
    let g = |f: fn(&BuildingItem) -> String| b.as_ref().map(f).unwrap_or_default();
    let (code, name, address) = (
        g(|b| b.code.clone()),
        g(|b| b.name.clone()),
        g(|b| b.address.clone()),
    );
    let (area, owner) = (g(|b| b.floor_area.clone()), g(|b| b.owner.clone()));
    let (property, rent) = (
        g(|b| b.property_company.clone()),
        g(|b| b.rent_guide.clone()),
    );
    let community = b.as_ref().map(|b| b.community_id);
    let hidden = b.as_ref().map(|b| b.id.to_string());
    view! {
        <ActionForm action=save attr:class="stack">
            {hidden.map(|v| view! { <input type="hidden" name="id" value=v /> })}
            <label for=id("code")>{i18n.t("ent.buildings.code")}</label>
            <input id=id("code") name="code" required minlength="2" maxlength="20" value=code />
            <label for=id("name")>{i18n.t("ent.buildings.name")}</label>
            <input id=id("name") name="name" required maxlength="64" value=name />
            <label for=id("community")>{i18n.t("ent.buildings.community")}</label>
            <select id=id("community") name="community_id">
                {communities.into_iter().map(|(cid, n)| view! {
                    <option value=cid.to_string() selected=community == Some(cid)>{n}</option>
                }).collect_view()}
            </select>
            <label for=id("address")>{i18n.t("ent.buildings.address")}</label>
            <input id=id("address") name="address" maxlength="120" value=address />
            <label for=id("area")>{i18n.t("ent.buildings.floor_area")}</label>
            <input id=id("area") name="floor_area" inputmode="decimal" value=area />
            <label for=id("owner")>{i18n.t("ent.buildings.owner")}</label>
            <input id=id("owner") name="owner" maxlength="64" value=owner />
            <label for=id("property")>{i18n.t("ent.space.property")}</label>
            <input id=id("property") name="property_company" maxlength="64" value=property />
            <label for=id("rent")>{i18n.t("ent.space.rent")}</label>
            <input id=id("rent") name="rent_guide" inputmode="decimal" value=rent />
            <button type="submit" disabled=move || save.pending().get()>{i18n.t("ent.leases.save")}</button>
        </ActionForm>
    }
}

#[component]
fn UnitForm(building: i64, u: Option<UnitItem>, save: ServerAction<EntSaveUnit>) -> impl IntoView {
    let i18n = use_i18n();
    let key = u
        .as_ref()
        .map(|u| u.id.to_string())
        .unwrap_or_else(|| format!("new-{building}"));
    let id = move |f: &str| format!("u-{f}-{key}");
    let g = |f: fn(&UnitItem) -> String| u.as_ref().map(f).unwrap_or_default();
    let (name, area, rent, note) = (
        g(|u| u.name.clone()),
        g(|u| u.area.clone()),
        g(|u| u.rent_guide.clone()),
        g(|u| u.note.clone()),
    );
    let vacant = u.as_ref().is_some_and(|u| u.vacant);
    let hidden = u.as_ref().map(|u| u.id.to_string());
    // Which unit a button saves, for screen readers (every form looks alike).
    let label = if name.is_empty() {
        i18n.t("ent.buildings.new_unit")().to_owned()
    } else {
        name.clone()
    };
    view! {
        <ActionForm action=save attr:class="unit-form">
            {hidden.map(|v| view! { <input type="hidden" name="id" value=v /> })}
            <input type="hidden" name="building_id" value=building.to_string() />
            <label for=id("name")>{i18n.t("ent.space.unit")}</label>
            <input id=id("name") name="name" required maxlength="40" value=name />
            <label for=id("area")>{i18n.t("ent.space.area")}</label>
            <input id=id("area") name="area" inputmode="decimal" value=area />
            <label for=id("rent")>{i18n.t("ent.space.rent")}</label>
            <input id=id("rent") name="rent_guide" inputmode="decimal" value=rent />
            <label for=id("note")>{i18n.t("ent.leases.note")}</label>
            <input id=id("note") name="note" maxlength="200" value=note />
            <label class="check">
                <input type="checkbox" name="vacant" value="on" checked=vacant />
                {i18n.t("ent.buildings.vacant")}
            </label>
            <button type="submit" class="secondary" aria-label=move || format!("{} {}", i18n.t("ent.leases.save")(), label)
                disabled=move || save.pending().get()>{i18n.t("ent.leases.save")}</button>
        </ActionForm>
    }
}
