use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::{Figures, RecordsView, ReportView, report, report_records};
use crate::i18n::use_i18n;

/// A horizontal bar chart drawn as SVG, with the same numbers in a table
/// beside it for screen readers and for reading exact values. Each label
/// may link to the records behind it.
#[component]
fn Bars(
    /// The chart's name (its caption and the SVG's accessible name).
    title: String,
    /// (label, value, link to the records).
    rows: Vec<(String, f64, Option<String>)>,
    /// The column head of the values.
    unit: String,
    #[prop(optional)] id: &'static str,
) -> impl IntoView {
    let max = rows.iter().map(|r| r.1).fold(0.0_f64, f64::max).max(1.0);
    let bar_h = 26.0;
    let height = (rows.len().max(1) as f64) * bar_h + 8.0;
    let label_w = 120.0;
    let chart_w = 420.0;
    let bars = rows
        .iter()
        .enumerate()
        .map(|(i, (label, v, _))| {
            let y = i as f64 * bar_h + 4.0;
            let w = (v / max) * (chart_w - label_w - 60.0);
            view! {
                <g>
                    <text x=label_w - 6.0 y=y + 16.0 text-anchor="end" class="chart-label">{label.clone()}</text>
                    <rect x=label_w y=y + 3.0 width=w.max(1.0) height=bar_h - 8.0 class="chart-bar" />
                    <text x=label_w + w + 6.0 y=y + 16.0 class="chart-value">{fmt(*v)}</text>
                </g>
            }
        })
        .collect_view();
    let table_rows = rows
        .into_iter()
        .map(|(label, v, link)| {
            let head = match link {
                Some(href) => view! { <a href=href>{label}</a> }.into_any(),
                None => view! { <span>{label}</span> }.into_any(),
            };
            view! {
                <tr>
                    <th scope="row">{head}</th>
                    <td class="num">{fmt(v)}</td>
                </tr>
            }
        })
        .collect_view();
    let caption = title.clone();
    view! {
        <figure class="chart" id=id>
            <svg
                viewBox=format!("0 0 {chart_w} {height}")
                role="img"
                aria-label=title
                preserveAspectRatio="xMinYMin meet"
            >
                {bars}
            </svg>
            <table class="chart-table">
                <caption>{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col"></th>
                        <th scope="col">{unit}</th>
                    </tr>
                </thead>
                <tbody>{table_rows}</tbody>
            </table>
        </figure>
    }
}

fn fmt(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

fn opt(v: Option<f64>) -> String {
    v.map(fmt).unwrap_or_else(|| "—".into())
}

/// `/reports?community=&from=YYYY-MM&to=YYYY-MM`
#[component]
pub fn ReportPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let community = move || {
        query
            .read()
            .get("community")
            .and_then(|c| c.parse::<i64>().ok())
    };
    let from = move || query.read().get("from").unwrap_or_default();
    let to = move || query.read().get("to").unwrap_or_default();
    let data = Resource::new(
        move || (community(), from(), to()),
        |(c, f, t)| report(c, f, t),
    );
    view! {
        <section class="page report">
            <h1>{i18n.t("report.title")}</h1>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(r) => view! { <Report r /> }.into_any(),
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Report(r: ReportView) -> impl IntoView {
    let i18n = use_i18n();
    let f = r.figures.clone();
    let month_of = |d: &str| d.get(..7).unwrap_or(d).to_owned();
    let (from, to) = (month_of(&r.period.from), month_of(&r.period.to));
    let scope = r.community_id.map(|c| c.to_string()).unwrap_or_default();
    let export = |format: &str| {
        format!(
            "/reports/export?format={format}&community={scope}&from={}&to={}",
            r.period.from, r.period.to
        )
    };
    let choices = r
        .communities
        .iter()
        .map(|c| {
            let selected = Some(c.community_id) == r.community_id;
            view! { <option value=c.community_id.to_string() selected=selected>{c.name.clone()}</option> }
        })
        .collect_view();
    let street_option = r.street_wide.then(|| {
        view! { <option value="" selected=r.community_id.is_none()>{i18n.t("report.street")}</option> }
    });
    // The records behind a figure: the same scope and period.
    let drill = {
        let (scope, day_from, day_to) = (scope.clone(), r.period.from.clone(), r.period.to.clone());
        move |figure: &str, extra: &str| {
            format!(
                "/reports/records?figure={figure}&community={scope}&from={day_from}&to={day_to}{extra}"
            )
        }
    };
    let channels: Vec<(String, f64, Option<String>)> = f
        .by_channel
        .iter()
        .map(|(k, v)| {
            let key = format!("channel.{k}");
            (
                i18n.tr(&key).to_owned(),
                *v as f64,
                Some(drill("opinions", &format!("&channel={k}"))),
            )
        })
        .collect();
    let categories: Vec<(String, f64, Option<String>)> = f
        .by_category
        .iter()
        .map(|(k, v)| {
            (
                r.categories.get(k).cloned().unwrap_or_else(|| k.clone()),
                *v as f64,
                Some(drill("opinions", &format!("&category={k}"))),
            )
        })
        .collect();
    let ratings: Vec<(String, f64, Option<String>)> = f
        .ratings
        .iter()
        .enumerate()
        .map(|(i, n)| {
            (
                format!("{} ★", i + 1),
                *n as f64,
                Some(drill("ratings", "")),
            )
        })
        .collect();
    let trend: Vec<(String, f64, Option<String>)> = r
        .monthly
        .iter()
        .map(|m| {
            // The month, clipped to the period as its bar is.
            let from = if r.period.from.starts_with(&m.month) {
                r.period.from.clone()
            } else {
                m.month.clone()
            };
            let to = if r.period.to.starts_with(&m.month) {
                r.period.to.clone()
            } else {
                m.month.clone()
            };
            let link =
                format!("/reports/records?figure=opinions&community={scope}&from={from}&to={to}");
            (m.month.clone(), m.opinions as f64, Some(link))
        })
        .collect();
    let by_community: Vec<(String, f64, Option<String>)> = r
        .communities
        .iter()
        .map(|c| {
            (
                c.name.clone(),
                c.figures.opinions as f64,
                Some(format!(
                    "/reports?community={}&from={from}&to={to}",
                    c.community_id
                )),
            )
        })
        .collect();
    let compare = r
        .communities
        .iter()
        .map(|c| {
            let g = &c.figures;
            view! {
                <tr>
                    <th scope="row">{c.name.clone()}</th>
                    <td class="num">{g.opinions}</td>
                    <td class="num">{g.topics_accepted}</td>
                    <td class="num">{g.meetings_held}</td>
                    <td class="num">{g.plans}</td>
                    <td class="num">{opt(g.derived.task_completion_pct)}</td>
                    <td class="num">{opt(g.derived.sla_compliance_pct)}</td>
                    <td class="num">{g.overdue_open}</td>
                    <td class="num">{opt(g.derived.rating_average)}</td>
                    <td class="num">{opt(g.derived.dissatisfied_pct)}</td>
                </tr>
            }
        })
        .collect_view();
    let months = r
        .monthly
        .iter()
        .map(|m| {
            view! {
                <tr>
                    <th scope="row">{m.month.clone()}</th>
                    <td class="num">{m.opinions}</td>
                    <td class="num">{m.meetings_held}</td>
                    <td class="num">{m.plans}</td>
                    <td class="num">{m.ratings}</td>
                    <td class="num">{opt(m.rating_average)}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <form method="get" action="/reports" class="report-period filters">
            <label for="r-community">{i18n.t("report.scope")}</label>
            <select id="r-community" name="community">
                {street_option}
                {choices}
            </select>
            <label for="r-from">{i18n.t("report.from")}</label>
            <input id="r-from" name="from" type="month" value=from.clone() required />
            <label for="r-to">{i18n.t("report.to")}</label>
            <input id="r-to" name="to" type="month" value=to.clone() required />
            <button type="submit">{i18n.t("report.show")}</button>
        </form>
        <p class="report-scope" id="report-scope">
            <strong>{r.title.clone()}</strong>
            " · "
            {format!("{} — {}", r.period.from, r.period.to)}
        </p>
        {r.snapshot_at.clone().map(|at| {
            let c = r.corrections.clone();
            // Each count opens the records corrected since the snapshot.
            let corrected = |figure: &str, n: i64| {
                let href = drill(figure, "&corrected=snapshot");
                view! { <a href=href>{n.to_string()}</a> }
            };
            view! {
                <p class="notice" id="report-snapshot">
                    {i18n.t("report.snapshot")} " " {at} ". "
                    {i18n.t("report.corrections")} " "
                    {corrected("opinions", c.opinions)} " / "
                    {corrected("meetings", c.meetings)} " / "
                    {corrected("plans", c.plans)}
                </p>
            }
        })}
        <p class="report-actions">
            <a class="button" href=export("xlsx") download id="report-xlsx">{i18n.t("report.xlsx")}</a>
            " "
            <a class="button secondary" href=export("csv") download>{i18n.t("report.csv")}</a>
            " "
            <PrintButton />
        </p>
        <dl class="tiles report-tiles" id="report-tiles">
            <Tile key="report.opinions" value=f.opinions.to_string() href=drill("opinions", "") />
            <Tile key="report.published" value=f.published.to_string() href=drill("opinions", "&outcome=published") />
            <Tile key="report.topics_accepted" value=f.topics_accepted.to_string() href=drill("topics_accepted", "") />
            <Tile key="report.meetings" value=f.meetings_held.to_string() href=drill("meetings", "") />
            <Tile key="report.attendance" value=format!("{} / {}", f.attended_onsite, f.attended_online) href=drill("meetings", "") />
            <Tile key="report.plans" value=f.plans.to_string() href=drill("plans", "") />
            <Tile key="report.completion" value=pct(f.derived.task_completion_pct) href=drill("tasks", "") />
            <Tile key="report.sla" value=pct(f.derived.sla_compliance_pct) href=drill("cases_closed", "") />
            <Tile key="report.overdue" value=f.overdue_open.to_string() href=drill("overdue", "") />
            <Tile key="report.satisfaction" value=opt(f.derived.rating_average) href=drill("ratings", "") />
            <Tile key="report.dissatisfied" value=pct(f.derived.dissatisfied_pct) href=drill("ratings", "") />
            <Tile key="report.to_plan" value=days(f.median_days_to_plan) href=drill("plans", "") />
            <Tile key="report.to_resolution" value=days(f.median_days_to_resolution) href=drill("plans_closed", "") />
        </dl>
        <Moderation f=f.clone() drill=drill.clone() />
        <h2>{i18n.t("report.sources")}</h2>
        <div class="charts">
            <Bars title=i18n.tr("report.by_channel").to_owned() rows=channels unit=i18n.tr("report.count").to_owned() id="chart-channel" />
            <Bars title=i18n.tr("report.by_category").to_owned() rows=categories unit=i18n.tr("report.count").to_owned() id="chart-category" />
        </div>
        <h2>{i18n.t("report.trend")}</h2>
        <Bars title=i18n.tr("report.opinions_by_month").to_owned() rows=trend unit=i18n.tr("report.count").to_owned() id="chart-trend" />
        <table class="data">
            <caption>{i18n.t("report.trend")}</caption>
            <thead>
                <tr>
                    <th scope="col">{i18n.t("report.month")}</th>
                    <th scope="col">{i18n.t("report.opinions")}</th>
                    <th scope="col">{i18n.t("report.meetings")}</th>
                    <th scope="col">{i18n.t("report.plans")}</th>
                    <th scope="col">{i18n.t("report.ratings")}</th>
                    <th scope="col">{i18n.t("report.satisfaction")}</th>
                </tr>
            </thead>
            <tbody>{months}</tbody>
        </table>
        <h2>{i18n.t("report.satisfaction_title")}</h2>
        <Bars title=i18n.tr("report.distribution").to_owned() rows=ratings unit=i18n.tr("report.people").to_owned() id="chart-rating" />
        <h2>{i18n.t("report.compare")}</h2>
        <Bars title=i18n.tr("report.opinions_by_community").to_owned() rows=by_community unit=i18n.tr("report.count").to_owned() id="chart-community" />
        <div class="table-wrap">
            <table class="data" id="report-compare">
                <caption>{i18n.t("report.compare")}</caption>
                <thead>
                    <tr>
                        <th scope="col">{i18n.t("report.community")}</th>
                        <th scope="col">{i18n.t("report.opinions")}</th>
                        <th scope="col">{i18n.t("report.topics_accepted")}</th>
                        <th scope="col">{i18n.t("report.meetings")}</th>
                        <th scope="col">{i18n.t("report.plans")}</th>
                        <th scope="col">{i18n.t("report.completion")}</th>
                        <th scope="col">{i18n.t("report.sla")}</th>
                        <th scope="col">{i18n.t("report.overdue")}</th>
                        <th scope="col">{i18n.t("report.satisfaction")}</th>
                        <th scope="col">{i18n.t("report.dissatisfied")}</th>
                    </tr>
                </thead>
                <tbody>{compare}</tbody>
            </table>
        </div>
    }
}

fn pct(v: Option<f64>) -> String {
    v.map(|p| format!("{}%", fmt(p)))
        .unwrap_or_else(|| "—".into())
}

fn days(v: Option<f64>) -> String {
    v.map(fmt).unwrap_or_else(|| "—".into())
}

/// A figure; with `href`, its value links to the records behind it.
#[component]
fn Tile(
    key: &'static str,
    value: String,
    #[prop(optional, into)] href: Option<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let value = match href {
        Some(href) => view! { <a href=href>{value}</a> }.into_any(),
        None => view! { <span>{value}</span> }.into_any(),
    };
    view! {
        <div class="tile" data-key=key>
            <dt>{i18n.t(key)}</dt>
            <dd>{value}</dd>
        </div>
    }
}

/// Where moderation left the period's opinions, and what became of topics.
#[component]
fn Moderation(f: Figures, drill: impl Fn(&str, &str) -> String + 'static) -> impl IntoView {
    let i18n = use_i18n();
    let row = |key: &'static str, href: String, n: String| {
        view! { <tr><th scope="row"><a href=href>{i18n.t(key)}</a></th><td class="num">{n}</td></tr> }
    };
    let outcome = |key: &'static str, o: &str, n: i64| {
        row(
            key,
            drill("opinions", &format!("&outcome={o}")),
            n.to_string(),
        )
    };
    let figure = |key: &'static str, figure: &str, n: String| row(key, drill(figure, ""), n);
    view! {
        <table class="data" id="report-moderation">
            <caption>{i18n.t("report.moderation")}</caption>
            <tbody>
                {outcome("report.published", "published", f.published)}
                {outcome("report.rejected", "rejected", f.rejected)}
                {outcome("report.merged", "merged", f.merged)}
                {outcome("report.pending", "pending", f.pending)}
                {figure("report.topics_proposed", "topics_proposed", f.topics_proposed.to_string())}
                {figure("report.topics_accepted", "topics_accepted", f.topics_accepted.to_string())}
                {figure("report.topics_rejected", "topics_rejected", f.topics_rejected.to_string())}
                <tr><th scope="row">{i18n.t("report.invited")}</th><td class="num">{f.invited}</td></tr>
                {figure("report.tasks", "tasks", format!("{} / {}", f.tasks_done, f.tasks))}
                {figure("report.cases", "cases_closed", format!("{} / {}", f.cases_on_time, f.cases_closed))}
            </tbody>
        </table>
    }
}

/// Prints the page (the print stylesheet leaves out the site's header,
/// the period form and these buttons).
#[component]
fn PrintButton() -> impl IntoView {
    let i18n = use_i18n();
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let _ = window().print();
        }
    };
    view! {
        <button type="button" class="secondary" id="report-print" on:click=print>
            {i18n.t("report.print")}
        </button>
    }
}

/// The query keys of the records page that narrow what it lists
/// (`corrected=snapshot`: changed since the saved month's snapshot).
const NARROW: [&str; 4] = ["channel", "category", "outcome", "corrected"];

/// `/reports/records?figure=…&community=&from=&to=[&channel=|category=|outcome=|corrected=snapshot]`:
/// the records behind one figure of the report, newest first, 50 a page.
#[component]
pub fn RecordsPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let get = move |k: &str| query.read().get(k).filter(|v| !v.is_empty());
    let data = Resource::new(
        move || {
            (
                get("community").and_then(|c| c.parse::<i64>().ok()),
                get("from").unwrap_or_default(),
                get("to").unwrap_or_default(),
                get("figure").unwrap_or_default(),
                // The first of channel, category, outcome, corrected given,
                // as `key:value`.
                NARROW
                    .iter()
                    .find_map(|k| get(k).map(|v| format!("{k}:{v}"))),
                get("before").and_then(|b| b.parse::<i64>().ok()),
            )
        },
        |(c, f, t, figure, by, before)| report_records(c, f, t, figure, by, before),
    );
    let figure = move || get("figure").unwrap_or_default();
    view! {
        <section class="page report">
            <h1>{i18n.t("report.records")}</h1>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    let narrow: Vec<(String, String)> = NARROW
                        .iter()
                        .filter_map(|k| get(k).map(|v| ((*k).to_owned(), v)))
                        .collect();
                    match data.await {
                        Ok(r) => view! { <Records r figure=figure() narrow /> }.into_any(),
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Records(r: RecordsView, figure: String, narrow: Vec<(String, String)>) -> impl IntoView {
    let i18n = use_i18n();
    let scope = r.community_id.map(|c| c.to_string()).unwrap_or_default();
    let back = format!(
        "/reports?community={scope}&from={}&to={}",
        r.period.from, r.period.to
    );
    // What the list is: the figure, then what narrowed it.
    let what = {
        let mut parts = vec![i18n.tr(&format!("report.figure.{figure}")).to_owned()];
        for (k, v) in &narrow {
            parts.push(match k.as_str() {
                "channel" => i18n.tr(&format!("channel.{v}")).to_owned(),
                "outcome" => i18n.tr(&format!("report.outcome.{v}")).to_owned(),
                "corrected" => i18n.tr("report.corrected").to_owned(),
                _ => r.categories.get(v).cloned().unwrap_or_else(|| v.clone()),
            });
        }
        parts.join(" · ")
    };
    let ratings = figure == "ratings";
    let state = {
        let figure = figure.clone();
        move |st: &str| -> String {
            let key = match figure.as_str() {
                // Anything not decided counts as waiting, as in the report.
                "opinions" if !["published", "rejected", "merged"].contains(&st) => {
                    "report.outcome.pending".to_owned()
                }
                "opinions" => format!("report.outcome.{st}"),
                "plans" | "plans_closed" | "ratings" => format!("plan.status.{st}"),
                "tasks" => format!("task.status.{st}"),
                "topics_proposed" | "topics_accepted" | "topics_rejected" => {
                    format!("topics.status.{st}")
                }
                "cases_closed" => format!("report.case.{st}"),
                "overdue" => "report.case.overdue".to_owned(),
                _ => "report.meeting.held".to_owned(),
            };
            i18n.tr(&key).to_owned()
        }
    };
    let next = r.next.map(|b| {
        let mut q = format!(
            "/reports/records?figure={figure}&community={scope}&from={}&to={}",
            r.period.from, r.period.to
        );
        for (k, v) in &narrow {
            // Codes only: anything else was refused before a next page.
            q.push_str(&format!("&{k}={v}"));
        }
        format!("{q}&before={b}")
    });
    let empty = r.items.is_empty();
    let rows = r
        .items
        .into_iter()
        .map(|x| {
            let title = match (x.link, x.title.is_empty()) {
                (_, true) => {
                    view! { <span class="muted">{i18n.t("report.unpublished")}</span> }.into_any()
                }
                (Some(href), false) => view! { <a href=href>{x.title}</a> }.into_any(),
                (None, false) => view! { <span>{x.title}</span> }.into_any(),
            };
            let extra = ratings.then(|| {
                view! {
                    <td class="num">{x.ratings.unwrap_or(0)}</td>
                    <td class="num">{opt(x.average)}</td>
                }
            });
            view! {
                <tr>
                    <td>{x.day}</td>
                    <td>{x.community}</td>
                    <th scope="row">{title}</th>
                    <td>{state(&x.state)}</td>
                    {extra}
                </tr>
            }
        })
        .collect_view();
    let extra_heads = ratings.then(|| {
        view! {
            <th scope="col">{i18n.t("report.ratings")}</th>
            <th scope="col">{i18n.t("report.satisfaction")}</th>
        }
    });
    view! {
        <p class="report-scope" id="records-scope">
            <strong>{r.scope}</strong>
            " · "
            {format!("{} — {}", r.period.from, r.period.to)}
            " · "
            <span id="records-what">{what.clone()}</span>
        </p>
        <p><a href=back id="records-back">{i18n.t("report.back")}</a></p>
        <p class="hint">{i18n.t("report.records_now")}</p>
        {if empty {
            view! { <p class="empty">{i18n.t("report.no_records")}</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" id="records">
                        <caption>{what.clone()}</caption>
                        <thead>
                            <tr>
                                <th scope="col">{i18n.t("report.day")}</th>
                                <th scope="col">{i18n.t("report.community")}</th>
                                <th scope="col">{i18n.t("report.record_title")}</th>
                                <th scope="col">{i18n.t("report.state")}</th>
                                {extra_heads}
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }
            .into_any()
        }}
        {next.map(|href| view! { <p><a class="button secondary" href=href id="records-more">{i18n.t("report.more")}</a></p> })}
    }
}
