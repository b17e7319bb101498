use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::i18n::use_i18n;
use crate::pages::{ErrorNotice, action_error};

fn severity_key(s: &str) -> &'static str {
    match s {
        "urgent" => "risk.sev.urgent",
        "normal" => "risk.sev.normal",
        _ => "risk.sev.low",
    }
}

fn machine_key(s: &str) -> &'static str {
    match s {
        "voice" => "risk.machine.voice",
        "recheck" => "risk.machine.recheck",
        "people" => "risk.machine.people",
        _ => "risk.machine.done",
    }
}

/// One case as a card: what, where, how urgent, the stage and its deadline.
#[component]
fn CaseCard(c: CaseItem) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/risk/warnings/{}", c.id);
    let sev = c.severity.clone();
    view! {
        <li class="card risk-case" id=format!("risk-case-{}", c.id) class:overdue=c.overdue>
            <h3><A href=href>{c.title.clone()}</A></h3>
            <p class="meta">
                <span class=format!("badge risk-{sev}")>{i18n.t(severity_key(&c.severity))}</span>
                " "
                {if c.open {
                    view! { <span class="badge">{c.stage_name.clone()}</span> }.into_any()
                } else {
                    view! { <span class="badge">{i18n.t("risk.closed")}</span> }.into_any()
                }}
                " "
                <span>{i18n.tr(machine_key(&c.machine))}</span>
            </p>
            <p>{c.summary.clone()}</p>
            <p class="meta">
                {i18n.t("risk.opened")} " " {c.opened.clone()}
                {c.due.clone().map(|d| view! { " · " {i18n.t("risk.due")} " " <span>{d}</span> })}
                {c.overdue.then(|| view! { " " <strong class="overdue">{i18n.t("risk.overdue")}</strong> })}
            </p>
        </li>
    }
}

/// 我的风险处置: the cases the signed-in person answers for.
#[component]
pub fn RiskCasesPage() -> impl IntoView {
    let i18n = use_i18n();
    let data = Resource::new(|| (), |_| risk_cases());
    view! {
        <section class="page risk">
            <h1>{i18n.t("risk.cases.title")}</h1>
            <p class="intro">{i18n.t("risk.cases.intro")}</p>
            <p><A href="/risk" attr:class="button secondary">{i18n.t("risk.overview.title")}</A></p>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("risk.cases.empty")}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cards" id="risk-cases">
                                {list.into_iter().map(|c| view! { <CaseCard c /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// A warning: why it fired, every step so far, and the next step for the
/// person who answers for it.
#[component]
pub fn RiskWarningPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let act = ServerAction::<RiskAct>::new();
    let data = Resource::new(
        move || (id(), act.version().get()),
        |(id, _)| risk_warning(id),
    );
    view! {
        <section class="page risk">
            // A photo upload (a plain form) comes back with its outcome.
            <crate::pages::UploadOutcome done_key="risk.photo_done" />
            <ErrorNotice error=action_error(act) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(w) => view! { <WarningBody w act /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn WarningBody(w: WarningItem, act: ServerAction<RiskAct>) -> impl IntoView {
    let i18n = use_i18n();
    let wid = w.case.id;
    let readings = w.readings.clone();
    view! {
        <h1>{w.case.title.clone()}</h1>
        <p class="meta">
            <span class=format!("badge risk-{}", w.case.severity)>{i18n.t(severity_key(&w.case.severity))}</span>
            " "
            <span class="badge" id="risk-stage">
                {if w.case.open { w.case.stage_name.clone() } else { i18n.t("risk.closed")().to_owned() }}
            </span>
            {w.case.due.clone().map(|d| view! { " " {i18n.t("risk.due")} " " <span>{d}</span> })}
            {w.case.overdue.then(|| view! { " " <strong class="overdue">{i18n.t("risk.overdue")}</strong> })}
        </p>
        <section class="card" aria-labelledby="risk-why">
            <h2 id="risk-why">{i18n.t("risk.why")}</h2>
            <p>{w.case.summary.clone()}</p>
            <p class="meta">{i18n.t("risk.limit")} " " {w.limit.clone()} " · " {i18n.t("risk.subject")} " " {w.subject.clone()}
                {w.contact.clone().map(|c| view! { " · " {i18n.t("risk.contact")} " " {c} })}
            </p>
            {(!readings.is_empty()).then(|| view! {
                <div class="table-wrap">
                    <table class="stack">
                        <caption>{i18n.t("risk.readings")}</caption>
                        <thead><tr><th scope="col">{i18n.t("risk.at")}</th><th scope="col">{i18n.t("risk.value")}</th></tr></thead>
                        <tbody>
                            {readings.into_iter().map(|(at, v)| view! {
                                <tr><td data-label=i18n.t("risk.at")>{at}</td><td class="num" data-label=i18n.t("risk.value")>{v}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            })}
        </section>
        {w.can_sign.then(|| view! {
            <ActionForm action=act attr:class="stack" attr:id="risk-sign">
                <input type="hidden" name="warning" value=wid.to_string() />
                <input type="hidden" name="step" value="sign" />
                <button type="submit">{i18n.t("risk.sign")}</button>
            </ActionForm>
        })}
        {w.can_arrive.then(|| view! {
            <ActionForm action=act attr:class="stack card" attr:id="risk-arrive">
                <input type="hidden" name="warning" value=wid.to_string() />
                <input type="hidden" name="step" value="arrive" />
                <label for="risk-arrive-note">{i18n.t("risk.arrive_note")}</label>
                <textarea id="risk-arrive-note" name="note" rows="2" maxlength="500"></textarea>
                <label for="risk-arrive-place">{i18n.t("risk.arrive_place")}</label>
                <input id="risk-arrive-place" name="location" maxlength="100" autocomplete="off" />
                <button type="submit" class="secondary">{i18n.t("risk.arrive")}</button>
            </ActionForm>
        })}
        {w.case.open.then(|| view! {
            // A plain form (works without JavaScript): the server redirects
            // back with the outcome.
            <form method="post" action=format!("/risk/warnings/{wid}/photos") enctype="multipart/form-data" class="stack card" id="risk-photo">
                <label for="risk-photo-file">{i18n.t("risk.photo")}</label>
                <input id="risk-photo-file" name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" required />
                <label for="risk-photo-note">{i18n.t("risk.photo_note")}</label>
                <input id="risk-photo-note" name="note" maxlength="500" autocomplete="off" />
                <button type="submit" class="secondary">{i18n.t("risk.photo_submit")}</button>
            </form>
        })}
        {w.can_handle.then(|| view! {
            <ActionForm action=act attr:class="stack card" attr:id="risk-handle">
                <input type="hidden" name="warning" value=wid.to_string() />
                <input type="hidden" name="step" value="handle" />
                <label for="risk-feedback">{i18n.t("risk.feedback")}</label>
                <textarea id="risk-feedback" name="note" rows="3" minlength="2" maxlength="500" required></textarea>
                <button type="submit">{i18n.t("risk.handle")}</button>
            </ActionForm>
        })}
        <section aria-labelledby="risk-steps">
            <h2 id="risk-steps">{i18n.t("risk.steps")}</h2>
            <ol class="timeline" id="risk-timeline">
                {w.steps.into_iter().map(|s| view! {
                    <li>
                        <strong>{s.word}</strong> " " <span class="meta">{s.at}</span>
                        {(!s.note.is_empty()).then(|| view! { <p>{s.note.clone()}</p> })}
                        {s.photo.map(|p| view! {
                            <a href=format!("/media/risk-photos/{p}") target="_blank" rel="noopener">
                                <img src=format!("/media/risk-photos/{p}?size=thumb") loading="lazy" width="160"
                                    alt=if s.note.is_empty() { i18n.t("risk.photo")().to_owned() } else { s.note.clone() } />
                            </a>
                        })}
                    </li>
                }).collect_view()}
            </ol>
        </section>
    }
}

/// What a file upload on the admin page did (the server redirects back
/// with it in the query): readings stored, the file's lines refused, the
/// outlines saved, or the error.
#[component]
fn UploadOutcome() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k);
    view! {
        {move || get("readings").map(|r| {
            let n: Vec<String> = r.split('-').map(str::to_owned).collect();
            let at = |i: usize| n.get(i).cloned().unwrap_or_default();
            view! {
                <p class="notice ok" role="status" id="risk-readings-done">
                    {i18n.t("risk.admin.readings_stored")} " " {at(0)} " · "
                    {i18n.t("risk.admin.readings_duplicates")} " " {at(1)} " · "
                    {i18n.t("risk.admin.readings_warnings")} " " {at(2)}
                </p>
            }
        })}
        {move || get("readings_rows").map(|r| view! {
            <div class="notice error" role="alert" id="risk-readings-rows">
                <p>{i18n.t("risk.admin.readings_refused")}</p>
                <ul>
                    {r.split(',').filter_map(|x| x.split_once(':')).map(|(line, why)| view! {
                        <li>{i18n.t("risk.admin.line")} " " {line.to_owned()} "：" {i18n.tr(&format!("risk.reading.{why}"))}</li>
                    }).collect_view()}
                </ul>
            </div>
        })}
        {move || get("outlines").map(|n| view! {
            <p class="notice ok" role="status">{i18n.t("risk.admin.outlines_saved")} " " {n}</p>
        })}
        {move || get("upload_error").filter(|k| k.starts_with("err.")).map(|k| view! { <crate::pages::ErrorMessage key=k /> })}
    }
}

/// 我的隐患提醒: the warnings on the signed-in account's own subjects
/// (a property company's compound, an enterprise's site), what the
/// platform did so far, and "已整改" with what they did.
#[component]
pub fn MyRiskPage() -> impl IntoView {
    let i18n = use_i18n();
    let report = ServerAction::<RiskPartyReport>::new();
    let data = Resource::new(move || report.version().get(), |_| risk_mine());
    view! {
        <section class="page risk">
            <h1>{i18n.t("risk.mine.title")}</h1>
            <p class="intro">{i18n.t("risk.mine.intro")}</p>
            <ErrorNotice error=action_error(report) />
            {move || report.value().get().and_then(|r| r.ok()).map(|_| view! {
                <p class="notice" role="status">{i18n.t("risk.mine.reported")}</p>
            })}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("risk.mine.empty")}</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="cards" id="risk-mine">
                                {list.into_iter().map(|c| view! { <PartyCard c report /> }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PartyCard(c: PartyItem, report: ServerAction<RiskPartyReport>) -> impl IntoView {
    let i18n = use_i18n();
    let id = c.id;
    let field = format!("risk-report-{id}");
    view! {
        <li class="card risk-case" id=format!("risk-mine-{id}")>
            <h2>{format!("{}｜{}", c.point, c.subject)}</h2>
            <p class="meta">
                <span class=format!("badge risk-{}", c.severity)>{i18n.t(severity_key(&c.severity))}</span>
                " "
                <span class="badge">{if c.open { i18n.t("risk.mine.open") } else { i18n.t("risk.closed") }}</span>
                " " {i18n.t("risk.opened")} " " {c.opened.clone()}
                {c.closed.clone().map(|d| view! { " · " {i18n.t("risk.mine.closed_at")} " " {d} })}
            </p>
            <p>{c.summary.clone()}</p>
            <ol class="timeline">
                {c.steps.into_iter().map(|(word, at)| view! {
                    <li><strong>{word}</strong> " " <span class="meta">{at}</span></li>
                }).collect_view()}
            </ol>
            {(c.open && !c.reported).then(|| view! {
                <ActionForm action=report attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string() />
                    <label for=field.clone()>{i18n.t("risk.mine.note")}</label>
                    <textarea id=field.clone() name="note" rows="2" minlength="2" maxlength="500" required></textarea>
                    <button type="submit">{i18n.t("risk.mine.report")}</button>
                </ActionForm>
            })}
            {c.reported.then(|| view! { <p class="meta">{i18n.t("risk.mine.waiting")}</p> })}
        </li>
    }
}

/// 一图总览: the street's map coloured by risk with its table, portraits
/// by community, compound or industry, and a unit's warnings.
#[component]
pub fn RiskOverview() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let level = move || {
        query
            .read()
            .get("level")
            .unwrap_or_else(|| "community".into())
    };
    let unit = move || query.read().get("unit").unwrap_or_default();
    let data = Resource::new(move || (level(), unit()), |(l, u)| risk_overview(l, u));
    view! {
        <section class="page risk">
            <h1>{i18n.t("risk.overview.title")}</h1>
            <p class="intro">{i18n.t("risk.overview.intro")}</p>
            <nav class="subnav" aria-label=i18n.t("risk.level")>
                <A href="/risk?level=community">{i18n.t("risk.level.community")}</A>
                <A href="/risk?level=compound">{i18n.t("risk.level.compound")}</A>
                <A href="/risk?level=industry">{i18n.t("risk.level.industry")}</A>
                <A href="/tasks/risk">{i18n.t("risk.cases.title")}</A>
            </nav>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(o) => view! { <OverviewBody o /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OverviewBody(o: OverviewView) -> impl IntoView {
    let i18n = use_i18n();
    let level = o.level.clone();
    let link = {
        let level = level.clone();
        move |key: &str| format!("/risk?level={level}&unit={key}#risk-drill")
    };
    let map = (!o.shapes.is_empty()).then(|| {
        let link = link.clone();
        let navigate = leptos_router::hooks::use_navigate();
        let shapes = o
            .shapes
            .iter()
            .map(|s| {
                // (An SVG `a` would be made as an HTML one when the page is
                // drawn in the browser: the shape itself takes the click;
                // the table below has the same links for keyboards.)
                let href = link(&s.key);
                let navigate = navigate.clone();
                let label = format!("{}：{}", s.name, s.score);
                view! {
                    <g class="map-unit" data-unit=s.key.clone()>
                        <path d=s.d.clone() class=format!("risk-band-{}", s.band)
                            on:click=move |_| navigate(&href, Default::default())>
                            <title>{label}</title>
                        </path>
                        <text x=format!("{:.1}", s.x) y=format!("{:.1}", s.y) text-anchor="middle" class="map-label">{s.name.clone()}</text>
                    </g>
                }
            })
            .collect_view();
        view! {
            <figure class="chart risk-map" id="risk-map">
                <svg viewBox=format!("0 0 {} {:.0}", o.width, o.height) role="img"
                    aria-label=i18n.t("risk.map") preserveAspectRatio="xMidYMid meet">
                    {shapes}
                </svg>
                <figcaption class="meta">
                    {i18n.t("risk.legend")} " "
                    <span class="swatch risk-band-0"></span>{i18n.t("risk.band.0")}
                    <span class="swatch risk-band-1"></span>{i18n.t("risk.band.1")}
                    <span class="swatch risk-band-2"></span>{i18n.t("risk.band.2")}
                    <span class="swatch risk-band-3"></span>{i18n.t("risk.band.3")}
                </figcaption>
            </figure>
        }
    });
    let weeks = o.week_starts.clone();
    let rows = o
        .rows
        .iter()
        .cloned()
        .map(|r| {
            let href = link(&r.key);
            let trend = r
                .weeks
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(" ");
            view! {
                <tr id=format!("risk-unit-{}", r.key)>
                    <th scope="row"><a href=href>{r.name}</a></th>
                    <td class="num" data-label=i18n.t("risk.score")>{format!("{}", r.score)}</td>
                    <td class="num" data-label=i18n.t("risk.open")>{r.open}</td>
                    <td class="num" data-label=i18n.t("risk.urgent")>{r.urgent}</td>
                    <td data-label=i18n.t("risk.trend")>{trend}</td>
                    <td data-label=i18n.t("risk.modules")>{r.modules}</td>
                </tr>
            }
        })
        .collect_view();
    let street = o.street.clone();
    view! {
        {map}
        <div class="table-wrap">
            <table class="stack" id="risk-table">
                <caption>{i18n.t("risk.table")} " · " {i18n.t("risk.trend_from")} " " {weeks.first().cloned().unwrap_or_default()}</caption>
                <thead>
                    <tr>
                        <th scope="col">{i18n.t("risk.unit")}</th>
                        <th scope="col">{i18n.t("risk.score")}</th>
                        <th scope="col">{i18n.t("risk.open")}</th>
                        <th scope="col">{i18n.t("risk.urgent")}</th>
                        <th scope="col">{i18n.t("risk.trend")}</th>
                        <th scope="col">{i18n.t("risk.modules")}</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
                <tfoot>
                    <tr>
                        <th scope="row">{street.name}</th>
                        <td class="num">{format!("{}", street.score)}</td>
                        <td class="num">{street.open}</td>
                        <td class="num">{street.urgent}</td>
                        <td>{street.weeks.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ")}</td>
                        <td>{street.modules}</td>
                    </tr>
                </tfoot>
            </table>
        </div>
        {o.unit.clone().map(|name| view! {
            <section id="risk-drill" aria-labelledby="risk-drill-title">
                <h2 id="risk-drill-title">{name} " · " {i18n.t("risk.warnings")}</h2>
                {if o.cases.is_empty() {
                    view! { <p class="empty">{i18n.t("risk.cases.empty")}</p> }.into_any()
                } else {
                    view! {
                        <ul class="cards">
                            {o.cases.clone().into_iter().map(|c| view! { <CaseCard c /> }).collect_view()}
                        </ul>
                    }.into_any()
                }}
            </section>
        })}
    }
}

/// 风险预警管理: the catalogue, warning models (versions, modes, replay
/// over stored history), sources and their tokens, and the map's outlines.
#[component]
pub fn RiskAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let entry = ServerAction::<RiskSaveEntry>::new();
    let model = ServerAction::<RiskSaveModel>::new();
    let mode = ServerAction::<RiskModelMode>::new();
    let replay = ServerAction::<RiskReplay>::new();
    let source = ServerAction::<RiskNewSource>::new();
    let enabled = ServerAction::<RiskSourceEnabled>::new();
    let outlines = ServerAction::<RiskOutlines>::new();
    let data = Resource::new(
        move || {
            entry.version().get()
                + model.version().get()
                + mode.version().get()
                + source.version().get()
                + enabled.version().get()
        },
        |_| risk_admin(),
    );
    view! {
        <crate::pages::AreaPage area="admin" title="risk.admin.title" intro="risk.admin.intro">
            <nav class="subnav" aria-label=i18n.t("risk.admin.title")>
                <a href="#risk-admin-models">{i18n.t("risk.admin.models")}</a>
                <a href="#risk-admin-catalogue">{i18n.t("risk.admin.catalogue")}</a>
                <a href="#risk-admin-sources">{i18n.t("risk.admin.sources")}</a>
                <a href="#risk-admin-map">{i18n.t("risk.admin.map")}</a>
            </nav>
            <ErrorNotice error=action_error(entry) />
            <ErrorNotice error=action_error(model) />
            <ErrorNotice error=action_error(mode) />
            <ErrorNotice error=action_error(replay) />
            <ErrorNotice error=action_error(source) />
            <ErrorNotice error=action_error(enabled) />
            <ErrorNotice error=action_error(outlines) />
            {move || source.value().get().and_then(|r| r.ok()).map(|token| view! {
                <p class="notice ok" role="status" id="risk-token">
                    {i18n.t("risk.admin.token_once")} " " <code>{token}</code>
                </p>
            })}
            {move || outlines.value().get().and_then(|r| r.ok()).map(|n| view! {
                <p class="notice ok" role="status">{i18n.t("risk.admin.outlines_saved")} " " {n}</p>
            })}
            {move || replay.value().get().and_then(|r| r.ok()).map(|r| view! { <ReplayResult r /> })}
            <UploadOutcome />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(v) => view! { <AdminBody v entry model mode replay source enabled outlines /> }.into_any(),
                    }
                })}
            </Transition>
        </crate::pages::AreaPage>
    }
}

#[component]
fn ReplayResult(r: ReplayView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <section class="card" id="risk-replay" aria-live="polite">
            <h2>{i18n.t("risk.admin.replay_result")} " " {r.model.clone()} " v" {r.version}</h2>
            <p>
                {format!("{} 天 · {} 个对象 · {} 条读数 · ", r.days, r.subjects, r.readings)}
                <strong>{format!("将产生 {} 条预警", r.raised)}</strong>
                {format!("（仍未恢复 {}，冷却期内压下 {}）", r.still_open, r.suppressed)}
            </p>
            <ul>
                {r.examples.into_iter().map(|(subject, opened, closed, why)| view! {
                    <li>{subject} " · " {opened} {(!closed.is_empty()).then(|| format!(" → {closed}"))} " · " {why}</li>
                }).collect_view()}
            </ul>
        </section>
    }
}

#[allow(clippy::too_many_arguments)]
#[component]
fn AdminBody(
    v: RiskAdminView,
    entry: ServerAction<RiskSaveEntry>,
    model: ServerAction<RiskSaveModel>,
    mode: ServerAction<RiskModelMode>,
    replay: ServerAction<RiskReplay>,
    source: ServerAction<RiskNewSource>,
    enabled: ServerAction<RiskSourceEnabled>,
    outlines: ServerAction<RiskOutlines>,
) -> impl IntoView {
    let i18n = use_i18n();
    let points = v.points.clone();
    let model_rows = v
        .models
        .iter()
        .map(|m| {
            let id = m.id;
            let live = m.mode == "live";
            view! {
                <tr id=format!("risk-model-{id}")>
                    <th scope="row">{m.key.clone()} " v" {m.version}</th>
                    <td data-label=i18n.t("risk.admin.point")>{m.point.clone()}</td>
                    <td data-label=i18n.t("risk.admin.kind")>{m.kind.clone()} " · " {m.severity.clone()}</td>
                    <td data-label=i18n.t("risk.admin.mode")>{m.mode.clone()}</td>
                    <td class="actions">
                        <button type="button" class="secondary" on:click=move |_| {
                            replay.dispatch(RiskReplay { id, days: 30 });
                        }>{i18n.t("risk.admin.replay")}</button>
                        {(!live).then(|| view! {
                            <button type="button" on:click=move |_| {
                                mode.dispatch(RiskModelMode { id, mode: "live".into() });
                            }>{i18n.t("risk.admin.go_live")}</button>
                        })}
                        {live.then(|| view! {
                            <button type="button" class="secondary" on:click=move |_| {
                                mode.dispatch(RiskModelMode { id, mode: "retired".into() });
                            }>{i18n.t("risk.admin.retire")}</button>
                        })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    let point_options = move || {
        points
            .iter()
            .map(|p| view! { <option value=p.key.clone()>{format!("{}（{}）", p.name, p.module)}</option> })
            .collect_view()
    };
    let module_options = v
        .modules
        .iter()
        .map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> })
        .collect_view();
    let department_options = v
        .departments
        .iter()
        .map(|(k, n)| view! { <option value=k.clone()>{n.clone()}</option> })
        .collect_view();
    let source_rows = v
        .sources
        .iter()
        .map(|x| {
            let id = x.id;
            let on = x.enabled;
            view! {
                <tr>
                    <th scope="row">{x.name.clone()}</th>
                    <td data-label=i18n.t("risk.admin.kind")>{x.kind.clone()}</td>
                    <td data-label=i18n.t("risk.admin.last_seen")>{x.last_seen.clone().unwrap_or_default()}</td>
                    <td class="actions">
                        <button type="button" class="secondary" on:click=move |_| {
                            enabled.dispatch(RiskSourceEnabled { id, enabled: !on });
                        }>{if on { i18n.t("risk.admin.disable") } else { i18n.t("risk.admin.enable") }}</button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section id="risk-admin-models">
            <h2>{i18n.t("risk.admin.models")}</h2>
            <div class="table-wrap">
                <table class="stack">
                    <thead><tr>
                        <th scope="col">{i18n.t("risk.admin.model")}</th>
                        <th scope="col">{i18n.t("risk.admin.point")}</th>
                        <th scope="col">{i18n.t("risk.admin.kind")}</th>
                        <th scope="col">{i18n.t("risk.admin.mode")}</th>
                        <th scope="col"></th>
                    </tr></thead>
                    <tbody>{model_rows}</tbody>
                </table>
            </div>
            <ActionForm action=model attr:class="stack card" attr:id="risk-model-form">
                <h3>{i18n.t("risk.admin.new_version")}</h3>
                <label for="rm-key">{i18n.t("risk.admin.model_key")}</label>
                <input id="rm-key" name="key" required maxlength="40" pattern="[a-z0-9_]+" />
                <label for="rm-point">{i18n.t("risk.admin.point")}</label>
                <select id="rm-point" name="point">{point_options()}</select>
                <label for="rm-name">{i18n.t("risk.admin.name")}</label>
                <input id="rm-name" name="name" required maxlength="80" />
                <label for="rm-spec">{i18n.t("risk.admin.spec")}</label>
                <textarea id="rm-spec" name="spec" rows="6" required maxlength="8192"
                    placeholder=r#"{"rule":{"kind":"threshold","indicator":"gas_leak.level","op":">","value":80},"severity":"urgent"}"#></textarea>
                <label for="rm-mode">{i18n.t("risk.admin.mode")}</label>
                <select id="rm-mode" name="mode">
                    <option value="shadow">{i18n.t("risk.admin.shadow")}</option>
                    <option value="live">{i18n.t("risk.admin.live")}</option>
                </select>
                <button type="submit">{i18n.t("risk.admin.save")}</button>
            </ActionForm>
        </section>
        <section id="risk-admin-catalogue">
            <h2>{i18n.t("risk.admin.catalogue")}</h2>
            <ActionForm action=entry attr:class="stack card">
                <h3>{i18n.t("risk.admin.point")}</h3>
                <input type="hidden" name="kind" value="point" />
                <label for="rp-key">{i18n.t("risk.admin.key")}</label>
                <input id="rp-key" name="key" required maxlength="40" pattern="[a-z0-9_]+" />
                <label for="rp-name">{i18n.t("risk.admin.name")}</label>
                <input id="rp-name" name="name" required maxlength="80" />
                <label for="rp-module">{i18n.t("risk.admin.module")}</label>
                <select id="rp-module" name="module">{module_options}</select>
                <label for="rp-dept">{i18n.t("risk.admin.department")}</label>
                <select id="rp-dept" name="department">{department_options}</select>
                <label for="rp-terms">{i18n.t("risk.admin.terms")}</label>
                <input id="rp-terms" name="terms" maxlength="200" />
                <button type="submit">{i18n.t("risk.admin.save")}</button>
            </ActionForm>
            <ActionForm action=entry attr:class="stack card">
                <h3>{i18n.t("risk.admin.module")}</h3>
                <input type="hidden" name="kind" value="module" />
                <label for="rmod-key">{i18n.t("risk.admin.key")}</label>
                <input id="rmod-key" name="key" required maxlength="40" pattern="[a-z0-9_]+" />
                <label for="rmod-name">{i18n.t("risk.admin.name")}</label>
                <input id="rmod-name" name="name" required maxlength="80" />
                <label for="rmod-sort">{i18n.t("risk.admin.sort")}</label>
                <input id="rmod-sort" name="sort" type="number" min="0" max="999" value="0" />
                <button type="submit">{i18n.t("risk.admin.save")}</button>
            </ActionForm>
            <ActionForm action=entry attr:class="stack card">
                <h3>{i18n.t("risk.admin.department")}</h3>
                <input type="hidden" name="kind" value="department" />
                <label for="rd-key">{i18n.t("risk.admin.key")}</label>
                <input id="rd-key" name="key" required maxlength="40" pattern="[a-z0-9_]+" />
                <label for="rd-name">{i18n.t("risk.admin.name")}</label>
                <input id="rd-name" name="name" required maxlength="80" />
                <button type="submit">{i18n.t("risk.admin.save")}</button>
            </ActionForm>
        </section>
        <section id="risk-admin-sources">
            <h2>{i18n.t("risk.admin.sources")}</h2>
            <div class="table-wrap">
                <table class="stack"><tbody>{source_rows}</tbody></table>
            </div>
            <ActionForm action=source attr:class="stack card">
                <label for="rs-name">{i18n.t("risk.admin.name")}</label>
                <input id="rs-name" name="name" required maxlength="80" />
                <label for="rs-kind">{i18n.t("risk.admin.kind")}</label>
                <select id="rs-kind" name="kind">
                    <option value="readings">{i18n.t("risk.admin.kind_readings")}</option>
                    <option value="voice">{i18n.t("risk.admin.kind_voice")}</option>
                </select>
                <button type="submit">{i18n.t("risk.admin.new_source")}</button>
            </ActionForm>
            // Plain forms (work without JavaScript): the server redirects
            // back with the outcome.
            <form method="post" action="/admin/risk/readings" enctype="multipart/form-data" class="stack card" id="risk-readings-upload">
                <label for="rr-file">{i18n.t("risk.admin.readings_file")}</label>
                <input id="rr-file" name="file" type="file" accept=".csv,.xlsx" required />
                <p class="meta">{i18n.t("risk.admin.readings_hint")}</p>
                <button type="submit" class="secondary">{i18n.t("risk.admin.readings_upload")}</button>
            </form>
        </section>
        <section id="risk-admin-map">
            <h2>{i18n.t("risk.admin.map")}</h2>
            <ActionForm action=outlines attr:class="stack card">
                <label for="ro-geojson">{i18n.t("risk.admin.geojson")}</label>
                <textarea id="ro-geojson" name="geojson" rows="6" required></textarea>
                <button type="submit">{i18n.t("risk.admin.save")}</button>
            </ActionForm>
            <form method="post" action="/admin/risk/outlines" enctype="multipart/form-data" class="stack card" id="risk-outlines-upload">
                <label for="ro-file">{i18n.t("risk.admin.geojson_file")}</label>
                <input id="ro-file" name="file" type="file" accept=".geojson,.json,application/geo+json,application/json" required />
                <button type="submit" class="secondary">{i18n.t("risk.admin.geojson_upload")}</button>
            </form>
        </section>
    }
}
