use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::i18n::{I18n, use_i18n};
use crate::pages::{ErrorNotice, action_error};

/// The heat figure in words, from the parts (see `topics.explain`).
pub(super) fn explain(i18n: I18n, h: &HeatView) -> String {
    i18n.tr("topics.explain")
        .replace("{r}", &h.residents.to_string())
        .replace("{d}", &format!("{:.1}", h.decayed_residents))
        .replace("{s}", &format!("{:.2}", h.spread))
        .replace("{c}", &h.channels.to_string())
        .replace("{m}", &h.communities.to_string())
        .replace("{n}", &h.supports.to_string())
        .replace("{w}", &format!("{}", h.support_weight))
        .replace("{f}", &format!("{:.2}", h.freshness))
        .replace("{v}", &format!("{:.1}", h.value))
}

/// Bars of new residents per week, oldest left. `label` names it for
/// screen readers; the same numbers are in a table beside it.
#[component]
fn TrendChart(trend: Vec<usize>, #[prop(optional)] large: bool) -> impl IntoView {
    let (w, h) = if large { (320.0, 96.0) } else { (120.0, 32.0) };
    let max = trend.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = trend.len().max(1) as f64;
    let gap = 2.0;
    let bw = (w - gap * (n - 1.0)) / n;
    let bars = trend
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let bh = (*v as f64 / max * (h - 2.0)).max(if *v > 0 { 2.0 } else { 0.5 });
            let x = i as f64 * (bw + gap);
            view! {
                <rect x=format!("{x:.1}") y=format!("{:.1}", h - bh) width=format!("{bw:.1}") height=format!("{bh:.1}") rx="1.5" />
            }
        })
        .collect_view();
    view! {
        <svg class="trend" viewBox=format!("0 0 {w} {h}") width=w.to_string() height=h.to_string() aria-hidden="true" focusable="false">
            {bars}
        </svg>
    }
}

/// The trend as a table (the chart's accessible equivalent).
#[component]
fn TrendTable(trend: Vec<usize>) -> impl IntoView {
    let i18n = use_i18n();
    let weeks = trend.len();
    view! {
        <details class="trend-table">
            <summary>{i18n.t("topics.trend_table")}</summary>
            <table>
                <thead><tr>
                    <th scope="col">{i18n.t("topics.week")}</th>
                    <th scope="col">{i18n.t("topics.new_residents")}</th>
                </tr></thead>
                <tbody>
                    {trend.into_iter().enumerate().map(|(i, v)| {
                        let ago = weeks - 1 - i;
                        view! {
                            <tr>
                                <td>{move || if ago == 0 { i18n.tr("topics.this_week").to_owned() } else { format!("{ago} {}", i18n.tr("topics.weeks_ago")) }}</td>
                                <td>{v}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </details>
    }
}

#[component]
fn StatusBadge(status: String) -> impl IntoView {
    let i18n = use_i18n();
    let key = format!("topics.status.{status}");
    view! { <span class=format!("badge topic-{status}")>{move || i18n.tr(&key)}</span> }
}

/// One topic in a ranking.
#[component]
fn TopicItem(rank: usize, t: TopicCardView) -> impl IntoView {
    let i18n = use_i18n();
    let href = format!("/topics/{}", t.id);
    let heat = t.heat.clone();
    let list = t
        .trend
        .iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <li class="topic card">
            <div class="topic-head">
                <span class="rank" aria-hidden="true">{rank}</span>
                <h2><A href=href>{t.title.clone()}</A></h2>
                <p class="heat">
                    <span class="sr-only">{i18n.t("topics.heat")} " "</span>
                    <strong>{format!("{:.1}", t.heat.value)}</strong>
                </p>
            </div>
            <p class="meta">
                <StatusBadge status=t.status.clone() /> " "
                {t.heat.residents} " " {i18n.t("topics.residents")} " · "
                {t.heat.posts} " " {i18n.t("topics.posts")}
            </p>
            <p class="explain">{move || explain(i18n, &heat)}</p>
            <div class="topic-foot">
                <ul class="keywords" aria-label=i18n.t("topics.keywords")>
                    {t.keywords.iter().take(5).map(|k| view! { <li class="tag">{k.clone()}</li> }).collect_view()}
                </ul>
                <TrendChart trend=t.trend.clone() />
                <span class="sr-only">{move || i18n.tr("topics.trend_summary").replace("{list}", &list)}</span>
            </div>
        </li>
    }
}

/// 热点: the ranking for the street or one community.
#[component]
pub fn HotTopics() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let community = move || {
        query
            .read()
            .get("community")
            .and_then(|c| c.parse::<i64>().ok())
    };
    let communities = Resource::new(|| (), |_| crate::api::list_communities());
    let topics = Resource::new(community, |c| hot_topics(c, None));
    view! {
        <h1>{i18n.t("topics.title")}</h1>
        <p class="intro">{i18n.t("topics.intro")}</p>
        <form method="get" action="/topics" class="filters inline-filters">
            <label for="t-community">{i18n.t("topics.scope")}</label>
            <select id="t-community" name="community">
                <option value="">{i18n.t("topics.whole_street")}</option>
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        communities.await.unwrap_or_default().into_iter().map(|c| {
                            view! { <option value=c.id.to_string() selected=move || community() == Some(c.id)>{c.name}</option> }
                        }).collect_view()
                    })}
                </Suspense>
            </select>
            <button type="submit" class="secondary">{i18n.t("topics.show")}</button>
        </form>
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match topics.await {
                    Ok(list) if list.is_empty() => view! { <p class="empty">{i18n.t("topics.empty")}</p> }.into_any(),
                    Ok(list) => view! {
                        <ol class="topics" id="topic-list">
                            {list.into_iter().enumerate().map(|(i, t)| view! { <TopicItem rank=i + 1 t /> }).collect_view()}
                        </ol>
                    }.into_any(),
                    Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What is hot, on the home page: the visitor's community when signed in
/// with one, else the whole street.
#[component]
pub fn HotOnHome(community: Option<i64>) -> impl IntoView {
    let i18n = use_i18n();
    let topics = Resource::new(move || community, |c| hot_topics(c, Some(5)));
    let title = if community.is_some() {
        "topics.home_title_community"
    } else {
        "topics.home_title"
    };
    let more = community.map_or_else(
        || "/topics".to_owned(),
        |c| format!("/topics?community={c}"),
    );
    view! {
        <section class="hot" aria-labelledby="hot-title">
            <h2 id="hot-title">{i18n.t(title)}</h2>
            <Transition fallback=|| ()>
                {move || {
                    let more = more.clone();
                    Suspend::new(async move {
                        match topics.await {
                            Ok(list) if !list.is_empty() => view! {
                                <ol class="topics compact" id="home-topics">
                                    {list.into_iter().enumerate().map(|(i, t)| view! { <TopicItem rank=i + 1 t /> }).collect_view()}
                                </ol>
                                <p><A href=more>{i18n.t("topics.more")}</A></p>
                            }.into_any(),
                            _ => view! { <p class="empty">{i18n.t("topics.empty")}</p> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// One topic: its heat in parts, its trend, and the opinions behind it.
#[component]
pub fn TopicPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok());
    // Staff split an opinion off: the page reads the topic again.
    let split = ServerAction::<SplitOpinion>::new();
    let detail = Resource::new(
        move || (id(), split.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => topic_detail(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                let d = match detail.await {
                    Ok(d) => d,
                    Err(e) => return view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                };
                let card = d.card.clone();
                view! {
                    <article class="topic-detail">
                        <h1>{card.title.clone()}</h1>
                        <p class="meta">
                            <StatusBadge status=card.status.clone() /> " "
                            {i18n.t("topics.first_last")} " " {card.first_at.clone()} " / " {card.last_at.clone()}
                        </p>
                        {d.merged_into.map(|m| view! {
                            <p class="notice">{i18n.t("topics.merged_into")} " " <A href=format!("/topics/{m}")>{format!("#{m}")}</A></p>
                        })}
                        {d.reject_reason.clone().map(|r| view! {
                            <p class="notice"><strong>{i18n.t("topics.reject_reason")}</strong> " " {r}</p>
                        })}
                        {d.summary.clone().map(|s| view! { <p class="body">{s}</p> })}
                        <ul class="keywords" aria-label=i18n.t("topics.keywords")>
                            {card.keywords.iter().map(|k| view! { <li class="tag">{k.clone()}</li> }).collect_view()}
                        </ul>
                        <HowCard h=card.heat.clone() />
                        <section class="card" aria-labelledby="trend-title">
                            <h2 id="trend-title">{i18n.t("topics.trend")}</h2>
                            <TrendChart trend=card.trend.clone() large=true />
                            <TrendTable trend=card.trend.clone() />
                        </section>
                        <PrevoteCard id=card.id />
                        <WhyCard d split />
                    </article>
                }.into_any()
            })}
        </Transition>
    }
}

/// The heat figure taken apart.
#[component]
fn HowCard(h: HeatView) -> AnyView {
    let i18n = use_i18n();
    let h2 = h.clone();
    let rows: [(&'static str, String); 9] = [
        ("topics.part.residents", h.residents.to_string()),
        ("topics.part.half_life", format!("{}", h.half_life_days)),
        ("topics.part.decayed", format!("{:.2}", h.decayed_residents)),
        ("topics.part.channels", h.channels.to_string()),
        ("topics.part.communities", h.communities.to_string()),
        ("topics.part.spread", format!("{:.2}", h.spread)),
        ("topics.part.supports", h.supports.to_string()),
        ("topics.part.support_part", format!("{:.2}", h.support_part)),
        ("topics.part.total", format!("{:.1}", h.value)),
    ];
    view! {
        <section class="card" aria-labelledby="how-title">
            <h2 id="how-title">{i18n.t("topics.how")}</h2>
            <p class="explain" id="topic-explain">{move || explain(i18n, &h2)}</p>
            <table class="breakdown">
                <tbody>
                    {rows.into_iter().map(|(k, v)| view! {
                        <tr><th scope="row">{i18n.t(k)}</th><td>{v}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
    .into_any()
}

/// The residents' pre-vote on this topic, if staff opened one: statements
/// with their shares and verdicts; residents answer each once.
#[component]
fn PrevoteCard(id: i64) -> AnyView {
    let i18n = use_i18n();
    let session = crate::use_session();
    let answer = ServerAction::<AnswerPrevote>::new();
    let results = Resource::new(move || (id, answer.version().get()), |(id, _)| prevote(id));
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let p = results.await.unwrap_or_default();
                let Some(state) = p.state.clone() else { return ().into_any() };
                let open = state == "open";
                let signed_in = matches!(session.me.await, Ok(Some(_)));
                view! {
                    <section class="card" aria-labelledby="prevote-title" id="prevote">
                        <h2 id="prevote-title">{i18n.t("prevote.title")}</h2>
                        {if open { view! { <p>{i18n.t("prevote.intro")}</p> }.into_any() } else { view! { <p>{i18n.t("prevote.closed")}</p> }.into_any() }}
                        <p class="meta">{p.residents} " " {i18n.t("prevote.residents")}</p>
                        <ErrorNotice error=action_error(answer) />
                        <ol class="statements">
                            {p.statements.into_iter().map(|s| {
                                let verdict = format!("prevote.verdict.{}", s.verdict);
                                let mine = s.mine.clone().map(|m| format!("prevote.{m}"));
                                let sid = s.id.to_string();
                                let pct = |x: f64| format!("{:.0}%", x * 100.0);
                                view! {
                                    <li class="statement" data-statement=sid.clone()>
                                        <p class="statement-text">{s.text.clone()}</p>
                                        <p class="meta">
                                            {i18n.t("prevote.agree")} " " {s.agree} " (" {pct(s.agree_share)} ") · "
                                            {i18n.t("prevote.disagree")} " " {s.disagree} " (" {pct(s.disagree_share)} ") · "
                                            {i18n.t("prevote.pass")} " " {s.pass} " · "
                                            <strong>{move || i18n.tr(&verdict)}</strong>
                                        </p>
                                        {match (mine, open, signed_in) {
                                            (Some(m), _, _) => view! { <p class="notice ok">{i18n.t("prevote.mine")} ": " {move || i18n.tr(&m)}</p> }.into_any(),
                                            (None, true, true) => view! {
                                                <div class="actions" role="group" aria-label=s.text.clone()>
                                                    {["agree", "disagree", "pass"].into_iter().map(|c| {
                                                        let key = format!("prevote.{c}");
                                                        let sid = sid.clone();
                                                        view! {
                                                            <ActionForm action=answer attr:class="inline">
                                                                <input type="hidden" name="statement_id" value=sid />
                                                                <input type="hidden" name="choice" value=c />
                                                                <button type="submit" class=if c == "agree" { "" } else { "secondary" }>{move || i18n.tr(&key)}</button>
                                                            </ActionForm>
                                                        }
                                                    }).collect_view()}
                                                </div>
                                            }.into_any(),
                                            (None, true, false) => view! { <p><A href="/login">{i18n.t("prevote.login")}</A></p> }.into_any(),
                                            _ => ().into_any(),
                                        }}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    </section>
                }.into_any()
            })}
        </Transition>
    }
    .into_any()
}

/// "Why is this here": channels, communities and the opinions behind it
/// (staff may split one off that is about something else).
#[component]
fn WhyCard(d: TopicDetailView, split: ServerAction<SplitOpinion>) -> AnyView {
    let i18n = use_i18n();
    let session = crate::use_session();
    let topic_id = d.card.id;
    let by_channel = d.card.heat.by_channel.clone();
    view! {
        <section class="card" aria-labelledby="why-title">
            <h2 id="why-title">{i18n.t("topics.why")}</h2>
            <div class="two-col">
                <div>
                    <h3>{i18n.t("topics.by_channel")}</h3>
                    <ul class="plain">
                        {by_channel.into_iter().map(|(c, n)| {
                            let key = format!("channel.{c}");
                            view! { <li>{move || i18n.tr(&key)} ": " {n}</li> }
                        }).collect_view()}
                    </ul>
                </div>
                <div>
                    <h3>{i18n.t("topics.by_community")}</h3>
                    <ul class="plain">
                        {d.communities.iter().map(|(c, r, heat)| view! {
                            <li>{c.clone()} ": " {*r} " " {i18n.t("topics.residents")} " · " {i18n.t("topics.heat")} " " {format!("{heat:.1}")}</li>
                        }).collect_view()}
                    </ul>
                </div>
            </div>
            {(!d.phrases.is_empty()).then(|| view! {
                <h3 id="phrases-title">{i18n.t("topics.phrases")}</h3>
                <p class="hint">{i18n.t("topics.phrases_hint")}</p>
                <ul class="keywords" id="topic-phrases" aria-labelledby="phrases-title">
                    {d.phrases.iter().map(|k| view! { <li class="tag">{k.clone()}</li> }).collect_view()}
                </ul>
            })}
            <h3>{i18n.t("topics.opinions")} " (" {d.total_opinions} ")"</h3>
            <ErrorNotice error=action_error(split) />
            // On the topic split from (this page is reused for the new one).
            {move || split.value().get().and_then(Result::ok).filter(|n| *n != topic_id).map(|new_topic| view! {
                <p class="notice" id="split-done" role="status">
                    {i18n.t("agenda.split_done")} " "
                    <A href=format!("/topics/{new_topic}")>{format!("#{new_topic}")}</A>
                </p>
            })}
            <ul class="opinions" id="topic-opinions">
                {d.opinions.into_iter().map(|o| {
                    let key = format!("channel.{}", o.channel);
                    let oid = o.id.to_string();
                    view! {
                        <li class="opinion">
                            <A href=format!("/opinions/{}", o.id)>{o.title.clone()}</A>
                            <p class="meta">
                                {move || i18n.tr(&key)} " · " {o.community_name.clone()} " · " {o.at.clone()}
                                {o.copy.then(|| view! { " · " <span class="tag">{i18n.t("topics.copy")}</span> })}
                            </p>
                            <Transition fallback=|| ()>
                                {let oid = oid.clone(); move || {
                                    let oid = oid.clone();
                                    Suspend::new(async move {
                                        let staff = matches!(session.me.await, Ok(Some(me)) if me.areas.iter().any(|a| a == "staff"));
                                        staff.then(|| view! {
                                            <ActionForm action=split attr:class="inline">
                                                <input type="hidden" name="id" value=topic_id.to_string() />
                                                <input type="hidden" name="opinion_id" value=oid />
                                                <button type="submit" class="link">{i18n.t("agenda.split")}</button>
                                            </ActionForm>
                                        })
                                    })
                                }}
                            </Transition>
                        </li>
                    }.into_any()
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

/// On an opinion's page: the topic it joined, if any.
#[component]
pub fn OpinionTopic(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let topic = Resource::new(move || id, opinion_topic);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                topic.await.ok().flatten().map(|(tid, title, status)| view! {
                    <p class="notice" id="opinion-topic">
                        {i18n.t("topics.taken_up")} " "
                        <A href=format!("/topics/{tid}")>{title}</A> " "
                        <StatusBadge status />
                    </p>
                })
            })}
        </Transition>
    }
}
