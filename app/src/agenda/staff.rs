//! Staff and admin pages of the agenda module: 议题建议 (suggestions and
//! decisions) and the lexicon (词典).
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::*;
use crate::i18n::use_i18n;
use crate::pages::{AreaPage, ErrorNotice, action_error};

/// 议题建议: open topics above the threshold with their evidence, and what
/// staff decide on each.
#[component]
pub fn Suggestions() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let min = move || query.read().get("min").and_then(|m| m.parse::<f64>().ok());
    let accept = ServerAction::<AcceptTopic>::new();
    let reject = ServerAction::<RejectTopic>::new();
    let merge = ServerAction::<MergeTopic>::new();
    let prevote = ServerAction::<OpenPrevote>::new();
    let list = Resource::new(
        move || {
            (
                min(),
                accept.version().get(),
                reject.version().get(),
                merge.version().get(),
                prevote.version().get(),
            )
        },
        |(m, ..)| agenda_suggestions(m),
    );
    view! {
        <AreaPage area="staff" title="agenda.title" intro="agenda.intro">
            <form method="get" action="/staff/agenda" class="filters inline-filters">
                <label for="s-min">{i18n.t("agenda.min_heat")}</label>
                <input id="s-min" name="min" type="number" min="0" step="0.5" inputmode="decimal"
                    value=move || min().map(|m| m.to_string()).unwrap_or_else(|| "2".to_owned()) />
                <button type="submit" class="secondary">{i18n.t("topics.show")}</button>
            </form>
            <ErrorNotice error=action_error(accept) />
            <ErrorNotice error=action_error(reject) />
            <ErrorNotice error=action_error(merge) />
            <ErrorNotice error=action_error(prevote) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="empty">{i18n.t("agenda.empty")}</p> }.into_any(),
                        Ok(l) => {
                            let others: Vec<(i64, String)> = l.iter().map(|t| (t.id, t.title.clone())).collect();
                            view! {
                                <ol class="topics" id="suggestions">
                                    {l.into_iter().map(|t| view! { <Suggestion t others=others.clone() accept reject merge prevote /> }).collect_view()}
                                </ol>
                            }.into_any()
                        }
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

#[component]
fn Suggestion(
    t: TopicCardView,
    others: Vec<(i64, String)>,
    accept: ServerAction<AcceptTopic>,
    reject: ServerAction<RejectTopic>,
    merge: ServerAction<MergeTopic>,
    prevote: ServerAction<OpenPrevote>,
) -> AnyView {
    let i18n = use_i18n();
    let heat = t.heat.clone();
    let href = format!("/topics/{}", t.id);
    let keywords = t.keywords.iter().take(6).cloned().collect::<Vec<_>>();
    let tid = t.id;
    let title = t.title.clone();
    let field = move |name: &str| format!("s{tid}-{name}");
    view! {
        <li class="topic card" data-topic=tid.to_string()>
            <h2><A href=href>{t.title.clone()}</A></h2>
            <p class="explain">{move || super::pages::explain(i18n, &heat)}</p>
            <ul class="keywords">{keywords.into_iter().map(|k| view! { <li class="tag">{k}</li> }).collect_view()}</ul>
            <details>
                <summary>{i18n.t("agenda.accept")}</summary>
                <ActionForm action=accept attr:class="stack">
                    <input type="hidden" name="id" value=tid.to_string() />
                    <label for=field("title")>{i18n.t("agenda.item_title")}</label>
                    <input id=field("title") name="title" required maxlength="80" value=title.clone() />
                    <label for=field("summary")>{i18n.t("agenda.summary")}</label>
                    <textarea id=field("summary") name="summary" rows="3" maxlength="1000"></textarea>
                    <button type="submit">{i18n.t("agenda.accept")}</button>
                </ActionForm>
            </details>
            <details>
                <summary>{i18n.t("agenda.reject")}</summary>
                <ActionForm action=reject attr:class="stack">
                    <input type="hidden" name="id" value=tid.to_string() />
                    <label for=field("reason")>{i18n.t("agenda.reason")}</label>
                    <input id=field("reason") name="reason" required maxlength="300" />
                    <button type="submit" class="secondary">{i18n.t("agenda.reject")}</button>
                </ActionForm>
            </details>
            <details>
                <summary>{i18n.t("agenda.merge")}</summary>
                <ActionForm action=merge attr:class="stack">
                    <input type="hidden" name="id" value=tid.to_string() />
                    <label for=field("into")>{i18n.t("agenda.merge_into")}</label>
                    <select id=field("into") name="into">
                        {others.iter().filter(|(o, _)| *o != tid).map(|(o, title)| view! {
                            <option value=o.to_string()>{format!("#{o} {title}")}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit" class="secondary">{i18n.t("agenda.merge")}</button>
                </ActionForm>
            </details>
            <details>
                <summary>{i18n.t("agenda.prevote")}</summary>
                <ActionForm action=prevote attr:class="stack">
                    <input type="hidden" name="id" value=tid.to_string() />
                    <label for=field("statements")>{i18n.t("agenda.statements")}</label>
                    <textarea id=field("statements") name="statements" rows="4" required></textarea>
                    <button type="submit" class="secondary">{i18n.t("agenda.prevote_open")}</button>
                </ActionForm>
            </details>
        </li>
    }
    .into_any()
}

/// 词典: the words, synonyms and stop words admins added, and a try-out.
#[component]
pub fn LexiconAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let add = ServerAction::<LexiconAdd>::new();
    let remove = ServerAction::<LexiconRemove>::new();
    let terms = Resource::new(
        move || (add.version().get(), remove.version().get()),
        |_| lexicon_terms(),
    );
    let sample = move || query.read().get("text").unwrap_or_default();
    let preview = Resource::new(sample, |t| async move {
        if t.trim().is_empty() {
            Ok(vec![])
        } else {
            lexicon_preview(t).await
        }
    });
    view! {
        <AreaPage area="admin" title="lexicon.title" intro="lexicon.intro">
            <ActionForm action=add attr:class="card stack" attr:id="lexicon-add">
                <label for="lx-kind">{i18n.t("lexicon.kind")}</label>
                <select id="lx-kind" name="kind">
                    <option value="word">{i18n.t("lexicon.kind.word")}</option>
                    <option value="synonym">{i18n.t("lexicon.kind.synonym")}</option>
                    <option value="stop">{i18n.t("lexicon.kind.stop")}</option>
                </select>
                <label for="lx-term">{i18n.t("lexicon.term")}</label>
                <input id="lx-term" name="term" required maxlength="16" />
                <label for="lx-canonical">{i18n.t("lexicon.canonical")}</label>
                <input id="lx-canonical" name="canonical" maxlength="16" aria-describedby="lx-canonical-hint" />
                <small id="lx-canonical-hint">{i18n.t("lexicon.canonical_hint")}</small>
                <ErrorNotice error=action_error(add) />
                <button type="submit">{i18n.t("lexicon.add")}</button>
            </ActionForm>
            <form method="get" action="/admin/lexicon" class="card" role="search">
                <label for="lx-text">{i18n.t("lexicon.try")}</label>
                <div class="with-button">
                    <input id="lx-text" name="text" maxlength="200" value=sample />
                    <button type="submit" class="secondary">{i18n.t("lexicon.try_go")}</button>
                </div>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        let words = preview.await.unwrap_or_default();
                        (!words.is_empty()).then(|| view! {
                            <ul class="keywords" id="lexicon-words">{words.into_iter().map(|w| view! { <li class="tag">{w}</li> }).collect_view()}</ul>
                        })
                    })}
                </Suspense>
            </form>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let list = terms.await.unwrap_or_default();
                    view! {
                        <table id="lexicon-terms">
                            <thead><tr>
                                <th scope="col">{i18n.t("lexicon.kind")}</th>
                                <th scope="col">{i18n.t("lexicon.term")}</th>
                                <th scope="col">{i18n.t("lexicon.canonical")}</th>
                                <th scope="col"><span class="sr-only">{i18n.t("lexicon.remove")}</span></th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|t| {
                                    let key = format!("lexicon.kind.{}", t.kind);
                                    view! {
                                        <tr>
                                            <td>{move || i18n.tr(&key)}</td>
                                            <td>{t.term.clone()}</td>
                                            <td>{t.canonical.clone().unwrap_or_default()}</td>
                                            <td>
                                                <ActionForm action=remove attr:class="inline">
                                                    <input type="hidden" name="id" value=t.id.to_string() />
                                                    <button type="submit" class="link">{i18n.t("lexicon.remove")}</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Transition>
        </AreaPage>
    }
}
