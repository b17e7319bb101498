use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::i18n::use_i18n;
use crate::pages::{AreaPage, ErrorNotice, action_error};

fn plan_status_key(s: &str) -> &'static str {
    match s {
        "active" => "plan.status.active",
        "rating" => "plan.status.rating",
        _ => "plan.status.closed",
    }
}

fn task_status_key(s: &str) -> &'static str {
    match s {
        "todo" => "task.status.todo",
        "doing" => "task.status.doing",
        "paused" => "task.status.paused",
        _ => "task.status.done",
    }
}

fn party_key(s: &str) -> &'static str {
    match s {
        "community" => "plan.party.community",
        "property" => "plan.party.property",
        "enterprise" => "plan.party.enterprise",
        "department" => "plan.party.department",
        "residents" => "plan.party.residents",
        _ => "plan.party.person",
    }
}

/// 共治方案 list.
#[component]
pub fn PlanList() -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new(|| (), |_| plans(None));
    view! {
        <section class="page">
            <h1>{i18n.t("plan.title")}</h1>
            <p class="intro">{i18n.t("plan.intro")}</p>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="empty">{i18n.t("plan.empty")}</p> }.into_any(),
                        Ok(l) => view! {
                            <ul class="cards" id="plans">
                                {l.into_iter().map(|p| view! {
                                    <li class="card">
                                        <h2><A href=format!("/plans/{}", p.id)>{p.title.clone()}</A></h2>
                                        <p class="meta"><span class="badge">{i18n.t(plan_status_key(&p.status))}</span> " " {p.updated.clone()}</p>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Staff: a plan from a meeting's (or the community's) agenda items.
#[component]
pub fn NewPlan() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let meeting = move || {
        query
            .read()
            .get("meeting")
            .and_then(|m| m.parse::<i64>().ok())
    };
    let create = ServerAction::<CreatePlan>::new();
    let choices = Resource::new(meeting, plan_choices);
    view! {
        <AreaPage area="staff" title="plan.new" intro="plan.new_intro">
            <ErrorNotice error=action_error(create) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok((community, items)) => view! {
                            <ActionForm action=create attr:class="stack" attr:id="new-plan">
                                <input type="hidden" name="community_id" value=community.to_string() />
                                {meeting().map(|m| view! { <input type="hidden" name="meeting_id" value=m.to_string() /> })}
                                <label for="p-item">{i18n.t("plan.item")}</label>
                                <select id="p-item" name="agenda_item_id">
                                    {items.into_iter().map(|(id, t)| view! { <option value=id.to_string()>{t}</option> }).collect_view()}
                                </select>
                                <label for="p-title">{i18n.t("plan.field.title")}</label>
                                <input id="p-title" name="title" required minlength="4" maxlength="80" />
                                <label for="p-summary">{i18n.t("plan.field.summary")}</label>
                                <textarea id="p-summary" name="summary" rows="4" maxlength="2000"></textarea>
                                <button type="submit">{i18n.t("plan.create")}</button>
                            </ActionForm>
                        }.into_any(),
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

/// The kinds of responsible party, in the order the forms offer them.
const PARTIES: [&str; 6] = [
    "community",
    "property",
    "enterprise",
    "department",
    "residents",
    "person",
];

/// A plan: its tasks with deadlines, the public timeline, the rating.
#[component]
pub fn PlanPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let add = ServerAction::<AddTask>::new();
    let update = ServerAction::<UpdateTask>::new();
    let reassign = ServerAction::<ReassignTask>::new();
    let rate = ServerAction::<RatePlan>::new();
    let close = ServerAction::<ClosePlan>::new();
    let data = Resource::new(
        move || {
            (
                id(),
                add.version().get()
                    + update.version().get()
                    + reassign.version().get()
                    + rate.version().get()
                    + close.version().get(),
            )
        },
        |(id, _)| plan(id),
    );
    view! {
        <section class="page plan">
            // A photo upload (a plain form) comes back with its outcome.
            <crate::pages::UploadOutcome done_key="plan.photo_done" />
            <ErrorNotice error=action_error(add) />
            <ErrorNotice error=action_error(update) />
            <ErrorNotice error=action_error(reassign) />
            <ErrorNotice error=action_error(rate) />
            <ErrorNotice error=action_error(close) />
            {move || close.value().get().and_then(|r| r.ok()).filter(|r| r != "closed").map(|note| view! {
                <p class="notice" role="status">{note}</p>
            })}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(p) => view! { <PlanBody p add update reassign rate close /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn PlanBody(
    p: PlanView,
    add: ServerAction<AddTask>,
    update: ServerAction<UpdateTask>,
    reassign: ServerAction<ReassignTask>,
    rate: ServerAction<RatePlan>,
    close: ServerAction<ClosePlan>,
) -> impl IntoView {
    let i18n = use_i18n();
    let pid = p.id;
    let manage = p.may_manage;
    let active = p.status == "active";
    let closed = p.status == "closed";
    view! {
        <h1>{p.title.clone()}</h1>
        <p class="meta">
            <span class="badge" id="plan-status">{i18n.t(plan_status_key(&p.status))}</span>
            " " {i18n.t("plan.progress")} " " <span id="plan-progress">{p.progress}</span> "%"
            {(p.round > 1).then(|| format!(" · {}", p.round))}
        </p>
        <progress max="100" value=p.progress.to_string() aria-label=i18n.tr("plan.progress")></progress>
        {p.reopen_note.clone().map(|n| view! { <p class="notice">{n}</p> })}
        {(!p.summary.is_empty()).then(|| view! { <p>{p.summary.clone()}</p> })}
        <p>
            {p.topic_id.map(|t| view! { <A href=format!("/topics/{t}")>{i18n.t("plan.topic")}</A> " " })}
            {p.meeting_id.map(|m| view! { <A href=format!("/meetings/{m}")>{i18n.t("plan.meeting")}</A> })}
        </p>
        <h2>{i18n.t("plan.tasks")}</h2>
        <ul class="tasks" id="tasks">
            {p.tasks.clone().into_iter().map(|t| {
                let tid = t.id;
                let can = manage || t.mine;
                let handing = manage && !closed && t.status != "done";
                let (party, party_name) = (t.party.clone(), t.party_name.clone());
                view! {
                    <li class="card task" id=format!("task-{tid}") class:overdue=t.overdue>
                        <h3>{t.title.clone()}</h3>
                        <p class="meta">
                            {i18n.t(party_key(&t.party))} ": " {t.party_name.clone()} " · "
                            <span class="badge task-status">{i18n.t(task_status_key(&t.status))}</span> " · "
                            {t.progress} "%"
                        </p>
                        <p class="meta">
                            {i18n.t("plan.deadline")} " " {t.due.clone().unwrap_or_else(|| t.deadline.clone())}
                            {t.overdue.then(|| view! { " " <strong class="overdue-flag">{i18n.t("plan.overdue")}</strong> })}
                            {(t.escalated > 0).then(|| view! { " " <span>{i18n.t("plan.escalated")}</span> })}
                        </p>
                        {(can && !closed).then(|| view! {
                            <details>
                                <summary>{i18n.t("plan.update")}</summary>
                                <ActionForm action=update attr:class="stack">
                                    <input type="hidden" name="task" value=tid.to_string() />
                                    <label for=format!("ts-{tid}")>{i18n.t("plan.field.status")}</label>
                                    <select id=format!("ts-{tid}") name="status">
                                        {["todo", "doing", "paused", "done"].into_iter().map(|s| view! {
                                            <option value=s selected=t.status == s>{i18n.t(task_status_key(s))}</option>
                                        }).collect_view()}
                                    </select>
                                    <label for=format!("tp-{tid}")>{i18n.t("plan.progress")}</label>
                                    <input id=format!("tp-{tid}") name="progress" type="number" min="0" max="100" value=t.progress.to_string() inputmode="numeric" />
                                    {manage.then(|| view! {
                                        <label for=format!("td-{tid}")>{i18n.t("plan.new_deadline")}</label>
                                        <input id=format!("td-{tid}") name="deadline" type="date" />
                                    })}
                                    <label for=format!("tn-{tid}")>{i18n.t("plan.note")}</label>
                                    <textarea id=format!("tn-{tid}") name="note" rows="2" maxlength="1000"></textarea>
                                    <button type="submit">{i18n.t("meet.save")}</button>
                                </ActionForm>
                                // A plain form (works without JavaScript): the
                                // server redirects back with the outcome.
                                <form method="post" action=format!("/plans/tasks/{tid}/photos") enctype="multipart/form-data" class="stack task-photo">
                                    <label for=format!("tf-{tid}")>{i18n.t("plan.photo")}</label>
                                    <input id=format!("tf-{tid}") name="photo" type="file" accept="image/jpeg,image/png,image/webp" capture="environment" required />
                                    <label for=format!("tfn-{tid}")>{i18n.t("plan.photo_note")}</label>
                                    <input id=format!("tfn-{tid}") name="note" maxlength="1000" />
                                    <button type="submit" class="secondary">{i18n.t("plan.photo_submit")}</button>
                                </form>
                            </details>
                        })}
                        {handing.then(|| view! {
                            <details class="handover">
                                <summary>{i18n.t("plan.reassign")}</summary>
                                <ActionForm action=reassign attr:class="stack">
                                    <input type="hidden" name="task" value=tid.to_string() />
                                    <label for=format!("rp-{tid}")>{i18n.t("plan.field.party")}</label>
                                    <select id=format!("rp-{tid}") name="party">
                                        {PARTIES.into_iter().map(|s| view! {
                                            <option value=s selected=party == s>{i18n.t(party_key(s))}</option>
                                        }).collect_view()}
                                    </select>
                                    <label for=format!("rn-{tid}")>{i18n.t("plan.field.party_name")}</label>
                                    <input id=format!("rn-{tid}") name="party_name" required minlength="2" maxlength="80" value=party_name.clone() />
                                    <label for=format!("ra-{tid}")>{i18n.t("plan.field.assignee_phone")}</label>
                                    <input id=format!("ra-{tid}") name="assignee_phone" type="tel" inputmode="tel" autocomplete="off" maxlength="20" />
                                    <label for=format!("rw-{tid}")>{i18n.t("plan.note")}</label>
                                    <textarea id=format!("rw-{tid}") name="note" rows="2" maxlength="1000"></textarea>
                                    <button type="submit">{i18n.t("plan.reassign_submit")}</button>
                                </ActionForm>
                            </details>
                        })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {(manage && active).then(|| view! {
            <details class="card">
                <summary>{i18n.t("plan.add_task")}</summary>
                <ActionForm action=add attr:class="stack" attr:id="add-task">
                    <input type="hidden" name="plan" value=pid.to_string() />
                    <label for="t-title">{i18n.t("plan.field.task")}</label>
                    <input id="t-title" name="title" required minlength="2" maxlength="120" />
                    <label for="t-party">{i18n.t("plan.field.party")}</label>
                    <select id="t-party" name="party">
                        {PARTIES.into_iter().map(|s| view! {
                            <option value=s>{i18n.t(party_key(s))}</option>
                        }).collect_view()}
                    </select>
                    <label for="t-party-name">{i18n.t("plan.field.party_name")}</label>
                    <input id="t-party-name" name="party_name" required minlength="2" maxlength="80" />
                    <label for="t-deadline">{i18n.t("plan.deadline")}</label>
                    <input id="t-deadline" name="deadline" type="date" required />
                    <button type="submit">{i18n.t("plan.add_task")}</button>
                </ActionForm>
            </details>
        })}
        <h2>{i18n.t("plan.rating")}</h2>
        <p id="plan-rating">{format!("{:.1}", p.rating_average)} " · " {p.rating_count} " " {i18n.t("plan.raters")}</p>
        {p.may_rate.then(|| view! {
            <ActionForm action=rate attr:class="stack" attr:id="rate-plan">
                <input type="hidden" name="plan" value=pid.to_string() />
                <fieldset>
                    <legend>{i18n.t("plan.rate")}</legend>
                    {(1..=5).rev().map(|n| view! {
                        <label class="check"><input type="radio" name="score" value=n.to_string() required />{n}</label>
                    }).collect_view()}
                </fieldset>
                <label for="rate-text">{i18n.t("meet.comment")}</label>
                <textarea id="rate-text" name="comment" rows="2" maxlength="500"></textarea>
                <button type="submit">{i18n.t("meet.send")}</button>
            </ActionForm>
        })}
        {p.my_rating.map(|r| view! { <p>{i18n.t("plan.my_rating")} " " {r}</p> })}
        {(manage && p.status == "rating").then(|| view! {
            <button type="button" id="close-plan" on:click=move |_| { close.dispatch(ClosePlan { plan: pid }); }>{i18n.t("plan.close")}</button>
        })}
        <h2>{i18n.t("plan.timeline")}</h2>
        <ol class="timeline" id="timeline">
            {p.timeline.iter().map(|u| {
                let uid = u.id;
                view! {
                    <li><time>{u.at.clone()}</time> " " {i18n.tr(&format!("plan.update.{}", u.kind))}
                        {u.progress.map(|x| format!(" {x}"))} " " {u.body.clone()}
                        {u.photo.then(|| view! {
                            <a class="task-photo-link" href=format!("/media/task-photos/{uid}")>
                                <img src=format!("/media/task-photos/{uid}?size=thumb") loading="lazy" width="160"
                                    alt=i18n.tr("plan.photo_alt") />
                            </a>
                        })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

/// On an opinion's page: what became of it, step by step.
#[component]
pub fn OpinionPath(id: i64) -> impl IntoView {
    let i18n = use_i18n();
    let path = Resource::new(move || id, opinion_path);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                path.await.ok().map(|steps| view! {
                    <section class="card path" aria-labelledby="path-title">
                        <h2 id="path-title">{i18n.t("path.title")}</h2>
                        <ol class="path-steps" id="opinion-path">
                            {steps.into_iter().map(|s| {
                                let key = format!("path.{}", s.key);
                                view! {
                                    <li class:done=s.done data-step=s.key.clone()>
                                        <span class="mark" aria-hidden="true">{if s.done { "●" } else { "○" }}</span>
                                        " " <strong>{i18n.tr(&key)}</strong>
                                        {(!s.done).then(|| view! { <span class="sr-only">{i18n.t("path.not_yet")}</span> })}
                                        {s.at.clone().map(|a| view! { " " <time>{a}</time> })}
                                        {(!s.label.is_empty()).then(|| match s.link.clone() {
                                            Some(l) => view! { " " <A href=l>{s.label.clone()}</A> }.into_any(),
                                            None => view! { " " <span>{s.label.clone()}</span> }.into_any(),
                                        })}
                                    </li>
                                }
                            }).collect_view()}
                        </ol>
                    </section>
                })
            })}
        </Transition>
    }
}

/// Admins: SLA policies (JSON) and the business calendar's days.
#[component]
pub fn SlaAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let year = move || query.read().get("year").and_then(|y| y.parse::<i32>().ok());
    let set_policy = ServerAction::<SetSlaPolicy>::new();
    let set_day = ServerAction::<SetCalendarDay>::new();
    let data = Resource::new(
        move || (year(), set_policy.version().get() + set_day.version().get()),
        |(y, _)| sla_admin(y),
    );
    view! {
        <AreaPage area="admin" title="sla.title" intro="sla.intro">
            <ErrorNotice error=action_error(set_policy) />
            <ErrorNotice error=action_error(set_day) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok((policies, covered, days)) => view! {
                            <h2>{i18n.t("sla.policies")}</h2>
                            {policies.into_iter().map(|p| view! {
                                <ActionForm action=set_policy attr:class="stack card">
                                    <input type="hidden" name="key" value=p.key.clone() />
                                    <label for=format!("pol-{}", p.key)>{p.name.clone()} " (v" {p.version} ")"</label>
                                    <textarea id=format!("pol-{}", p.key) name="spec" rows="6" maxlength="16000">{p.spec.clone()}</textarea>
                                    <button type="submit">{i18n.t("meet.save")}</button>
                                </ActionForm>
                            }).collect_view()}
                            <h2>{i18n.t("sla.calendar")}</h2>
                            <form method="get" action="/admin/sla" class="inline-filters">
                                <label for="cal-year">{i18n.t("sla.year")}</label>
                                <input id="cal-year" name="year" type="number" min="2000" max="2100" value=year().unwrap_or(2026).to_string() />
                                <button type="submit" class="secondary">{i18n.t("topics.show")}</button>
                            </form>
                            {(!covered).then(|| view! { <p class="notice error" role="alert">{i18n.t("sla.missing_year")}</p> })}
                            <table>
                                <thead><tr>
                                    <th scope="col">{i18n.t("sla.day")}</th>
                                    <th scope="col">{i18n.t("sla.kind")}</th>
                                    <th scope="col">{i18n.t("sla.name")}</th>
                                </tr></thead>
                                <tbody>
                                    {days.into_iter().map(|(d, k, n)| view! {
                                        <tr><td>{d}</td><td>{i18n.tr(&format!("sla.kind.{k}"))}</td><td>{n}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <ActionForm action=set_day attr:class="stack card">
                                <label for="cal-day">{i18n.t("sla.day")}</label>
                                <input id="cal-day" name="day" type="date" required />
                                <label for="cal-kind">{i18n.t("sla.kind")}</label>
                                <select id="cal-kind" name="kind">
                                    <option value="holiday">{i18n.t("sla.kind.holiday")}</option>
                                    <option value="workday">{i18n.t("sla.kind.workday")}</option>
                                    <option value="normal">{i18n.t("sla.kind.normal")}</option>
                                </select>
                                <label for="cal-name">{i18n.t("sla.name")}</label>
                                <input id="cal-name" name="name" maxlength="40" />
                                <button type="submit">{i18n.t("meet.save")}</button>
                            </ActionForm>
                        }.into_any(),
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

/// `/email/confirm?t=…`: the owner of an e-mail address confirms it with a
/// button (a mail scanner that opens the link confirms nothing).
#[component]
pub fn EmailConfirmPage() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let token = move || query.read().get("t").unwrap_or_default();
    let confirm = ServerAction::<ConfirmEmail>::new();
    let done = move || matches!(confirm.value().get(), Some(Ok(())));
    view! {
        <section class="page narrow">
            <h1>{i18n.t("email.confirm_title")}</h1>
            <ErrorNotice error=action_error(confirm) />
            <Show
                when=done
                fallback=move || view! {
                    <p>{i18n.t("email.confirm_text")}</p>
                    <ActionForm action=confirm attr:id="email-confirm">
                        <input type="hidden" name="t" value=token />
                        <button type="submit">{i18n.t("email.confirm")}</button>
                    </ActionForm>
                }
            >
                <p class="notice" id="email-confirmed" role="status">{i18n.t("email.confirmed")}</p>
                <p><a href="/me">{i18n.t("email.to_me")}</a></p>
            </Show>
        </section>
    }
}

/// 我的通知: what the loop told the person, and the SMS choice.
#[component]
pub fn Inbox() -> impl IntoView {
    let i18n = use_i18n();
    let set = ServerAction::<SetNotify>::new();
    let data = Resource::new(move || set.version().get(), |_| inbox());
    view! {
        <section class="card" id="inbox">
            <h2>{i18n.t("inbox.title")}</h2>
            <ErrorNotice error=action_error(set) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    data.await.ok().map(|(ch, items)| view! {
                        <ActionForm action=set attr:class="stack" attr:id="notify-channels">
                            <label class="check">
                                <input type="checkbox" name="sms" value="1" checked=ch.sms />
                                {i18n.t("inbox.sms")}
                            </label>
                            <label class="check">
                                <input type="checkbox" name="email_on" value="1" checked=ch.email_on />
                                {i18n.t("inbox.email_on")}
                            </label>
                            <label for="notify-email">{i18n.t("inbox.email")}</label>
                            <input id="notify-email" name="email" type="email" maxlength="254"
                                autocomplete="email" inputmode="email"
                                value=ch.pending.clone().unwrap_or(ch.email.clone()) />
                            {ch.pending.clone().map(|p| view! {
                                <p class="hint" id="email-pending" role="status">
                                    {i18n.t("inbox.email_pending")} " " <strong>{p}</strong>
                                </p>
                            })}
                            <button type="submit" class="secondary">{i18n.t("meet.save")}</button>
                        </ActionForm>
                        {if items.is_empty() {
                            view! { <p class="empty">{i18n.t("inbox.empty")}</p> }.into_any()
                        } else {
                            view! {
                                <ol class="inbox">
                                    {items.into_iter().map(|m| view! {
                                        <li><strong>{m.subject}</strong> " " <time>{m.at}</time><p>{m.body}</p></li>
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                    })
                })}
            </Transition>
        </section>
    }
}
