use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::*;
use crate::i18n::use_i18n;
use crate::pages::{AreaPage, ErrorNotice, action_error};

fn status_key(s: &str) -> &'static str {
    match s {
        "draft" => "meet.status.draft",
        "scheduled" => "meet.status.scheduled",
        "live" => "meet.status.live",
        "closed" => "meet.status.closed",
        _ => "meet.status.cancelled",
    }
}

fn mode_key(s: &str) -> &'static str {
    match s {
        "onsite" => "meet.mode.onsite",
        "online" => "meet.mode.online",
        _ => "meet.mode.hybrid",
    }
}

/// 议事会 list: upcoming and past meetings.
#[component]
pub fn MeetingList() -> impl IntoView {
    let i18n = use_i18n();
    let list = Resource::new(|| (), |_| meetings(None));
    view! {
        <section class="page">
            <h1>{i18n.t("meet.title")}</h1>
            <p class="intro">{i18n.t("meet.intro")}</p>
            <p><A href="/staff/meetings/new" attr:class="staff-only">{i18n.t("meet.new")}</A></p>
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="empty">{i18n.t("meet.empty")}</p> }.into_any(),
                        Ok(l) => view! {
                            <ul class="cards" id="meetings">
                                {l.into_iter().map(|m| view! {
                                    <li class="card">
                                        <h2><A href=format!("/meetings/{}", m.id)>{m.title.clone()}</A></h2>
                                        <p class="meta">
                                            <span class=format!("badge status-{}", m.status)>{i18n.t(status_key(&m.status))}</span>
                                            " " {m.starts_local.clone()} " · " {i18n.t(mode_key(&m.mode))}
                                            {(!m.venue.is_empty()).then(|| format!(" · {}", m.venue))}
                                        </p>
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

/// What the meeting form starts with: a new meeting's defaults, or the
/// meeting's own values when staff edit it.
#[derive(Clone)]
struct Draft {
    title: String,
    summary: String,
    mode: String,
    venue: String,
    /// `YYYY-MM-DDTHH:MM`, China time (a `datetime-local` value).
    starts: String,
    minutes_long: i32,
    video_url: String,
    quorum: i32,
    majority_pct: i32,
}

impl Default for Draft {
    fn default() -> Self {
        Draft {
            title: String::new(),
            summary: String::new(),
            mode: "hybrid".into(),
            venue: String::new(),
            starts: String::new(),
            minutes_long: 90,
            video_url: String::new(),
            quorum: 0,
            majority_pct: 50,
        }
    }
}

/// The meeting form's fields (inside the page's own `ActionForm`): the
/// agenda items to choose from, each with whether it is ticked.
#[component]
fn MeetingFields(community: i64, items: Vec<(i64, String, bool)>, d: Draft) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <input type="hidden" name="community_id" value=community.to_string() />
        <fieldset>
            <legend>{i18n.t("meet.items")}</legend>
            {items.into_iter().enumerate().map(|(i, (id, title, on))| view! {
                <label class="check">
                    <input type="checkbox" name=format!("items[{i}]") value=id.to_string() checked=on />
                    {title}
                </label>
            }).collect_view()}
        </fieldset>
        <label for="m-title">{i18n.t("meet.field.title")}</label>
        <input id="m-title" name="title" required minlength="4" maxlength="80" value=d.title />
        <label for="m-summary">{i18n.t("meet.field.summary")}</label>
        <textarea id="m-summary" name="summary" rows="3" maxlength="2000">{d.summary}</textarea>
        <label for="m-mode">{i18n.t("meet.field.mode")}</label>
        <select id="m-mode" name="mode">
            {["hybrid", "onsite", "online"].into_iter().map(|m| view! {
                <option value=m selected=d.mode == m>{i18n.tr(&format!("meet.mode.{m}"))}</option>
            }).collect_view()}
        </select>
        <label for="m-venue">{i18n.t("meet.field.venue")}</label>
        <input id="m-venue" name="venue" maxlength="120" value=d.venue />
        <label for="m-starts">{i18n.t("meet.field.starts")}</label>
        <input id="m-starts" name="starts_at" type="datetime-local" required value=d.starts />
        <label for="m-long">{i18n.t("meet.field.minutes_long")}</label>
        <input id="m-long" name="minutes_long" type="number" min="15" max="480" value=d.minutes_long.to_string() inputmode="numeric" />
        <label for="m-video">{i18n.t("meet.field.video")}</label>
        <input id="m-video" name="video_url" type="url" maxlength="500" placeholder="https://" value=d.video_url />
        <label for="m-quorum">{i18n.t("meet.field.quorum")}</label>
        <input id="m-quorum" name="quorum" type="number" min="0" max="1000" value=d.quorum.to_string() inputmode="numeric" />
        <label for="m-majority">{i18n.t("meet.field.majority")}</label>
        <input id="m-majority" name="majority_pct" type="number" min="50" max="100" value=d.majority_pct.to_string() inputmode="numeric" />
    }
}

/// Staff: a new meeting from agenda items.
#[component]
pub fn NewMeeting() -> impl IntoView {
    let i18n = use_i18n();
    let create = ServerAction::<CreateMeeting>::new();
    let choices = Resource::new(|| (), |_| meeting_choices());
    view! {
        <AreaPage area="staff" title="meet.new" intro="meet.new_intro">
            <ErrorNotice error=action_error(create) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match choices.await {
                        Ok((_, items)) if items.is_empty() => view! { <p class="empty">{i18n.t("meet.no_items")}</p> }.into_any(),
                        Ok((community, items)) => {
                            let items = items.into_iter().enumerate().map(|(i, (id, t))| (id, t, i == 0)).collect();
                            view! {
                                <ActionForm action=create attr:class="stack" attr:id="new-meeting">
                                    <MeetingFields community items d=Draft::default() />
                                    <button type="submit">{i18n.t("meet.create")}</button>
                                </ActionForm>
                            }.into_any()
                        }
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

/// Staff: change a draft or scheduled meeting (its invitees are told when
/// the time, place or mode moved).
#[component]
pub fn MeetingEditPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let edit = ServerAction::<EditMeeting>::new();
    let data = Resource::new(id, |id| async move {
        let m = meeting(id, None).await?;
        let (_, choices) = meeting_choices().await?;
        Ok::<_, AppError>((m, choices))
    });
    view! {
        <AreaPage area="staff" title="meet.edit" intro="meet.edit_intro">
            <ErrorNotice error=action_error(edit) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok((m, _)) if !m.may_manage => view! { <crate::pages::ErrorMessage key="err.forbidden" /> }.into_any(),
                        Ok((m, _)) if m.status != "draft" && m.status != "scheduled" => view! {
                            <p class="notice">{i18n.t("meet.edit_closed")}</p>
                            <A href=format!("/meetings/{}", m.id)>{i18n.t("meet.back")}</A>
                        }.into_any(),
                        Ok((m, choices)) => {
                            // The meeting's own items ticked, then the others staff may add.
                            let mut items: Vec<(i64, String, bool)> = m.items.iter()
                                .map(|i| (i.agenda_item_id, i.title.clone(), true))
                                .collect();
                            for (cid, title) in choices {
                                if !items.iter().any(|(x, _, _)| *x == cid) {
                                    items.push((cid, title, false));
                                }
                            }
                            let d = Draft {
                                title: m.title.clone(),
                                summary: m.summary.clone(),
                                mode: m.mode.clone(),
                                venue: m.venue.clone(),
                                starts: m.starts_local.replace(' ', "T"),
                                minutes_long: m.minutes_long,
                                video_url: m.video_url.clone().unwrap_or_default(),
                                quorum: m.quorum,
                                majority_pct: m.majority_pct,
                            };
                            let mid = m.id;
                            view! {
                                {(m.status == "scheduled").then(|| view! { <p class="notice">{i18n.t("meet.edit_tells")}</p> })}
                                <ActionForm action=edit attr:class="stack" attr:id="edit-meeting">
                                    <input type="hidden" name="id" value=mid.to_string() />
                                    <MeetingFields community=m.community_id items d />
                                    <button type="submit">{i18n.t("meet.save")}</button>
                                </ActionForm>
                                <p><A href=format!("/meetings/{mid}")>{i18n.t("meet.back")}</A></p>
                            }.into_any()
                        }
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

/// The newest state: the live room's public part over what this viewer
/// fetched (their own part and, for staff, the names).
fn merged(mine: MeetingView, live: Option<MeetingView>) -> MeetingView {
    match live {
        Some(l) if l.id == mine.id && l.live_seq > mine.live_seq => MeetingView {
            participants: mine.participants,
            checkin_code: mine.checkin_code,
            may_manage: mine.may_manage,
            me: mine.me,
            // Staff also see messages waiting for them.
            messages: if mine.may_manage {
                mine.messages
            } else {
                l.messages.clone()
            },
            ..l
        },
        _ => mine,
    }
}

/// A meeting: details, the live room, results, and staff controls.
#[component]
pub fn MeetingPage() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let query = use_query_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let token = move || query.read().get("t").filter(|t| !t.is_empty());
    let code = move || query.read().get("code").unwrap_or_default();
    let rsvp = ServerAction::<MeetingRsvp>::new();
    let attend = ServerAction::<MeetingAttend>::new();
    let vote = ServerAction::<MeetingVote>::new();
    let say = ServerAction::<MeetingSay>::new();
    let hand = ServerAction::<MeetingHand>::new();
    let rate = ServerAction::<MeetingRate>::new();
    let step = ServerAction::<MeetingStep>::new();
    let chair = ServerAction::<MeetingChair>::new();
    let guest = ServerAction::<InviteGuest>::new();
    let cancel = ServerAction::<CancelMeeting>::new();
    let live: RwSignal<Option<MeetingView>> = RwSignal::new(None);
    // Staff reload their view (names, waiting messages) on every change.
    let staff_tick = RwSignal::new(0u32);
    // The page renders once from the first answer; later answers (after
    // an action, or for staff on every live change) replace the data in
    // place, so forms being typed into are not rebuilt.
    let data = Resource::new(move || (id(), token()), |(id, t)| meeting(id, t));
    let fresh: RwSignal<Option<MeetingView>> = RwSignal::new(None);
    let versions = move || {
        rsvp.version().get()
            + attend.version().get()
            + vote.version().get()
            + say.version().get()
            + hand.version().get()
            + rate.version().get()
            + step.version().get()
            + chair.version().get()
            + guest.version().get()
            + cancel.version().get()
            + staff_tick.get() as usize
    };
    Effect::new(move |prev: Option<usize>| {
        let v = versions();
        if prev.is_some() {
            let (id, t) = (id(), token());
            leptos::task::spawn_local(async move {
                if let Ok(x) = meeting(id, t).await {
                    fresh.set(Some(x));
                }
            });
        }
        v
    });
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        use wasm_bindgen::closure::Closure;
        let source = StoredValue::new_local(None::<web_sys::EventSource>);
        Effect::new(move |_| {
            let id = id();
            source.with_value(|s| {
                if let Some(s) = s {
                    s.close()
                }
            });
            let Ok(es) = web_sys::EventSource::new(&format!("/live/meetings/{id}")) else {
                return;
            };
            let on_state = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                move |e: web_sys::MessageEvent| {
                    if let Some(text) = e.data().as_string()
                        && let Ok(v) = serde_json::from_str::<MeetingView>(&text)
                    {
                        let mine = fresh
                            .get_untracked()
                            .or_else(|| data.get_untracked().and_then(|r| r.ok()));
                        // Staff reload their view (names, waiting messages)
                        // on every change; participants when the meeting's
                        // state changes (live, closed, someone checked in).
                        let reload = mine.is_some_and(|mine| {
                            mine.may_manage
                                || (mine.me.is_some()
                                    && (mine.status != v.status
                                        || mine.onsite != v.onsite
                                        || mine.online != v.online))
                        });
                        live.set(Some(v));
                        if reload {
                            staff_tick.update(|t| *t += 1);
                        }
                    }
                },
            );
            let _ = es.add_event_listener_with_callback("state", on_state.as_ref().unchecked_ref());
            on_state.forget();
            source.set_value(Some(es));
        });
        on_cleanup(move || {
            source.with_value(|s| {
                if let Some(s) = s {
                    s.close()
                }
            })
        });
    }
    let errors = [
        action_error(rsvp),
        action_error(attend),
        action_error(vote),
        action_error(say),
        action_error(hand),
        action_error(rate),
        action_error(step),
        action_error(chair),
        action_error(guest),
        action_error(cancel),
    ];
    view! {
        <section class="page meeting">
            {errors.into_iter().map(|e| view! { <ErrorNotice error=e /> }).collect_view()}
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                        Ok(first) => {
                            let m = Signal::derive(move || {
                                let base = fresh
                                    .get()
                                    .filter(|f| f.id == first.id && f.live_seq >= first.live_seq)
                                    .unwrap_or_else(|| first.clone());
                                merged(base, live.get())
                            });
                            // What the forms depend on: they are rebuilt only
                            // when this changes, not on every vote or message.
                            let shape = Memo::new(move |_| {
                                let v = m.get();
                                (
                                    v.status.clone(),
                                    v.may_manage,
                                    v.me.as_ref().map(|me| {
                                        (me.rsvp.clone(), me.attend.clone(), me.hand_raised, me.rated)
                                    }),
                                    v.items.iter().map(|i| i.id).collect::<Vec<_>>(),
                                )
                            });
                            let t = token();
                            view! {
                                {move || view! { <Header m=m.get() /> }}
                                {move || view! { <Items m=m.get() /> }}
                                {move || {
                                    shape.track();
                                    let v = m.get_untracked();
                                    v.me.clone().map(|me| view! {
                                        <Participation m=v.clone() me t=token() code=code() rsvp attend hand />
                                    })
                                }}
                                {move || {
                                    let (status, _, me, _) = shape.get();
                                    let present = me.is_some_and(|(_, attend, _, _)| attend.is_some());
                                    (status == "live").then(|| view! {
                                        {move || view! { <LiveRoom m=m.get() present t=token() vote /> }}
                                        {present.then(|| view! { <SayForm id=m.get_untracked().id t=token() say /> })}
                                    })
                                }}
                                {move || {
                                    let (status, ..) = shape.get();
                                    (status == "closed").then(|| view! { <Results m=m.get_untracked() t=token() rate /> })
                                }}
                                {move || {
                                    let (_, manage, ..) = shape.get();
                                    manage.then(|| view! { <Chair m=m.get_untracked() step chair guest cancel /> })
                                }}
                                {move || m.get().may_manage.then(|| view! { <ChairLive m=m.get() chair /> })}
                                {t.is_some().then(|| view! { <p class="hint">{i18n.t("meet.guest_hint")}</p> })}
                            }.into_any()
                        }
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Header(m: MeetingView) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <header>
            <h1>{m.title.clone()}</h1>
            <p class="meta" aria-live="polite">
                <span class=format!("badge status-{}", m.status) id="meeting-status">{i18n.t(status_key(&m.status))}</span>
                " " {m.starts_local.clone()} " · " {i18n.t(mode_key(&m.mode))}
                {(!m.venue.is_empty()).then(|| format!(" · {}", m.venue))}
            </p>
            <p class="meta">
                {i18n.t("meet.attendance")} ": "
                <span id="count-onsite">{m.onsite}</span> " " {i18n.t("meet.onsite")} " · "
                <span id="count-online">{m.online}</span> " " {i18n.t("meet.online")} " · "
                {m.invited} " " {i18n.t("meet.invited")}
            </p>
            {m.video_url.clone().map(|u| view! {
                <p><a href=u rel="noopener noreferrer nofollow" target="_blank">{i18n.t("meet.video")}</a></p>
            })}
            {(!m.summary.is_empty()).then(|| view! { <p>{m.summary.clone()}</p> })}
        </header>
    }
}

#[component]
fn Items(m: MeetingView) -> impl IntoView {
    let i18n = use_i18n();
    let current = m.current_item_id;
    view! {
        <h2>{i18n.t("meet.items")}</h2>
        <ol class="items" id="meeting-items">
            {m.items.into_iter().map(|it| {
                let now = current == Some(it.id);
                view! {
                    <li class:current=now aria-current=now.then_some("step")>
                        <A href=format!("/topics/{}", it.topic_id)>{it.title.clone()}</A>
                        {now.then(|| view! { " " <span class="badge">{i18n.t("meet.now")}</span> })}
                        {it.resolution.clone().map(|r| view! { <p class="resolution"><strong>{i18n.t("meet.resolution")} ": "</strong>{r}</p> })}
                    </li>
                }
            }).collect_view()}
        </ol>
    }
}

#[component]
fn Participation(
    m: MeetingView,
    me: Me,
    t: Option<String>,
    code: String,
    rsvp: ServerAction<MeetingRsvp>,
    attend: ServerAction<MeetingAttend>,
    hand: ServerAction<MeetingHand>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = m.id;
    let open = m.status == "scheduled" || m.status == "live";
    let tok = t.clone();
    let answer = move |a: &'static str| {
        let t = tok.clone();
        move |_| {
            rsvp.dispatch(MeetingRsvp {
                id,
                answer: a.into(),
                t: t.clone(),
            });
        }
    };
    let t2 = t.clone();
    let t3 = t.clone();
    let raised = me.hand_raised;
    view! {
        <section class="card" id="my-participation">
            <h2>{i18n.t("meet.mine")}</h2>
            <p>{i18n.t("meet.rsvp")} ": " <strong id="my-rsvp">{match me.rsvp.as_str() {
                "online" => i18n.tr("meet.rsvp.online"),
                "onsite" => i18n.tr("meet.rsvp.onsite"),
                "declined" => i18n.tr("meet.rsvp.declined"),
                _ => i18n.tr("meet.rsvp.none"),
            }}</strong></p>
            {(m.status == "scheduled").then(|| view! {
                <div class="actions">
                    <button type="button" on:click=answer("onsite")>{i18n.t("meet.rsvp.onsite")}</button>
                    <button type="button" on:click=answer("online")>{i18n.t("meet.rsvp.online")}</button>
                    <button type="button" class="secondary" on:click=answer("declined")>{i18n.t("meet.rsvp.declined")}</button>
                </div>
            })}
            {match (me.attend.clone(), open) {
                (Some(a), _) => view! { <p id="my-attend">{if a == "onsite" { i18n.tr("meet.here_onsite") } else { i18n.tr("meet.here_online") }}</p> }.into_any(),
                (None, true) => view! {
                    <div class="stack">
                        <ActionForm action=attend attr:class="inline-filters">
                            <input type="hidden" name="id" value=id.to_string() />
                            {t.clone().map(|t| view! { <input type="hidden" name="t" value=t /> })}
                            <label for="checkin-code">{i18n.t("meet.code")}</label>
                            <input id="checkin-code" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required value=code.clone() />
                            <button type="submit">{i18n.t("meet.check_in")}</button>
                        </ActionForm>
                        <button type="button" id="join-online" on:click=move |_| {
                            attend.dispatch(MeetingAttend { id, code: None, t: t2.clone() });
                        }>{i18n.t("meet.join_online")}</button>
                    </div>
                }.into_any(),
                _ => ().into_any(),
            }}
            {(m.status == "live" && me.attend.is_some()).then(|| view! {
                <button type="button" id="hand" aria-pressed=raised.to_string() on:click=move |_| {
                    hand.dispatch(MeetingHand { id, raise: !raised, t: t3.clone() });
                }>{if raised { i18n.tr("meet.lower_hand") } else { i18n.tr("meet.raise_hand") }}</button>
            })}
        </section>
    }
}

#[component]
fn Bars(options: Vec<String>, tally: Tally) -> impl IntoView {
    let total = tally.cast.max(1);
    view! {
        <ul class="tally">
            {options.into_iter().enumerate().map(|(i, o)| {
                let n = tally.counts.get(i).copied().unwrap_or(0);
                let pct = n * 100 / total;
                view! {
                    <li>
                        <span class="label">{o}</span>
                        <span class="bar" style=format!("width:{pct}%") aria-hidden="true"></span>
                        <span class="count" data-option=i.to_string()>{n}</span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}

#[component]
fn LiveRoom(
    m: MeetingView,
    present: bool,
    t: Option<String>,
    vote: ServerAction<MeetingVote>,
) -> impl IntoView {
    let i18n = use_i18n();
    let voted: Vec<(i64, i32)> = m.me.as_ref().map(|me| me.votes.clone()).unwrap_or_default();
    let open: Vec<MotionView> = m.motions.iter().filter(|x| x.open).cloned().collect();
    view! {
        <section class="card live" id="live-room" aria-live="polite">
            <h2>{i18n.t("meet.live")}</h2>
            {if open.is_empty() {
                view! { <p class="empty">{i18n.t("meet.no_poll")}</p> }.into_any()
            } else {
                open.into_iter().map(|mo| {
                    let mine = voted.iter().find(|(x, _)| *x == mo.id).map(|(_, c)| *c);
                    let t = t.clone();
                    let mid = mo.id;
                    view! {
                        <div class="poll" data-motion=mid.to_string()>
                            <h3>{mo.text.clone()}</h3>
                            <Bars options=mo.options.clone() tally=mo.tally.clone() />
                            {match (present, mine) {
                                (_, Some(c)) => view! { <p class="notice">{i18n.t("meet.voted")} " " {mo.options.get(c as usize).cloned().unwrap_or_default()}</p> }.into_any(),
                                (true, None) => view! {
                                    <div class="actions">
                                        {mo.options.iter().enumerate().map(|(i, o)| {
                                            let t = t.clone();
                                            view! {
                                                <button type="button" class="vote" on:click=move |_| {
                                                    vote.dispatch(MeetingVote { motion: mid, choice: i as i32, t: t.clone() });
                                                }>{o.clone()}</button>
                                            }
                                        }).collect_view()}
                                    </div>
                                }.into_any(),
                                (false, None) => view! { <p class="hint">{i18n.t("meet.join_to_vote")}</p> }.into_any(),
                            }}
                        </div>
                    }
                }).collect_view().into_any()
            }}
            <h3>{i18n.t("meet.discussion")}</h3>
            <ol class="messages" id="messages">
                {m.messages.iter().map(|x| view! {
                    <li class=format!("msg {}", x.status)><strong>{x.name.clone()}</strong> ": " {x.body.clone()}</li>
                }).collect_view()}
            </ol>
            {(!m.hands.is_empty()).then(|| view! {
                <p>{i18n.t("meet.hands")} ": " {m.hands.iter().map(|h| h.name.clone()).collect::<Vec<_>>().join("、")}</p>
            })}
        </section>
    }
}

/// What a present participant says (kept while the room updates).
#[component]
fn SayForm(id: i64, t: Option<String>, say: ServerAction<MeetingSay>) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <ActionForm action=say attr:class="stack" attr:id="say-form">
            <input type="hidden" name="id" value=id.to_string() />
            {t.map(|t| view! { <input type="hidden" name="t" value=t /> })}
            <label for="say-body">{i18n.t("meet.say")}</label>
            <textarea id="say-body" name="body" rows="2" maxlength="500" required></textarea>
            <button type="submit">{i18n.t("meet.send")}</button>
        </ActionForm>
    }
}

#[component]
fn Results(m: MeetingView, t: Option<String>, rate: ServerAction<MeetingRate>) -> impl IntoView {
    let i18n = use_i18n();
    let may_rate =
        m.me.as_ref()
            .is_some_and(|me| me.attend.is_some() && !me.rated);
    view! {
        <section class="card" id="results">
            <h2>{i18n.t("meet.results")}</h2>
            {m.motions.iter().map(|mo| view! {
                <div class="poll">
                    <h3>{mo.text.clone()}
                        {mo.tally.passed.map(|p| view! { " " <span class="badge">{if p { i18n.tr("meet.passed") } else { i18n.tr("meet.not_passed") }}</span> })}
                    </h3>
                    <Bars options=mo.options.clone() tally=mo.tally.clone() />
                </div>
            }).collect_view()}
            <h3>{i18n.t("meet.minutes")}</h3>
            <div class="minutes" id="minutes">{m.minutes.clone()}</div>
            {m.outcome_use.clone().map(|o| view! { <h3>{i18n.t("meet.outcome_use")}</h3><p>{o}</p> })}
            <p>{i18n.t("meet.rating")} ": " {format!("{:.1}", m.rating.average)} " (" {m.rating.count} ")"</p>
            {may_rate.then(|| view! {
                <ActionForm action=rate attr:class="stack">
                    <input type="hidden" name="id" value=m.id.to_string() />
                    {t.clone().map(|t| view! { <input type="hidden" name="t" value=t /> })}
                    <label for="rate-score">{i18n.t("meet.rate")}</label>
                    <select id="rate-score" name="score">
                        {(1..=5).rev().map(|n| view! { <option value=n.to_string()>{n}</option> }).collect_view()}
                    </select>
                    <label for="rate-comment">{i18n.t("meet.comment")}</label>
                    <textarea id="rate-comment" name="comment" rows="2" maxlength="500"></textarea>
                    <button type="submit">{i18n.t("meet.send")}</button>
                </ActionForm>
            })}
        </section>
    }
}

/// The staff's controls (the server checks every one again).
#[component]
fn Chair(
    m: MeetingView,
    step: ServerAction<MeetingStep>,
    chair: ServerAction<MeetingChair>,
    guest: ServerAction<InviteGuest>,
    cancel: ServerAction<CancelMeeting>,
) -> impl IntoView {
    let i18n = use_i18n();
    let id = m.id;
    let go = move |s: &'static str| {
        move |_| {
            step.dispatch(MeetingStep { id, step: s.into() });
        }
    };
    let act = move |action: &'static str, target: Option<i64>| {
        chair.dispatch(MeetingChair {
            id,
            action: action.into(),
            target,
            text: None,
            choice: None,
        });
    };
    let status = m.status.clone();
    view! {
        <section class="card staff" id="chair">
            <h2>{i18n.t("meet.chair")}</h2>
            {m.checkin_code.clone().map(|c| view! {
                <p>{i18n.t("meet.code")} ": " <strong id="staff-code">{c}</strong> " · "
                    <A href=format!("/staff/meetings/{id}/sheet")>{i18n.t("meet.sheet")}</A></p>
            })}
            <div class="actions">
                {(status == "draft" || status == "scheduled").then(|| view! {
                    <A href=format!("/staff/meetings/{id}/edit") attr:id="edit-meeting-link">{i18n.t("meet.edit")}</A>
                    <button type="button" on:click=go("invite_authors")>{i18n.t("meet.invite_authors")}</button>
                })}
                {(status == "draft").then(|| view! { <button type="button" id="schedule" on:click=go("schedule")>{i18n.t("meet.schedule")}</button> })}
                {(status == "scheduled").then(|| view! { <button type="button" id="go-live" on:click=go("live")>{i18n.t("meet.go_live")}</button> })}
                {(status == "live").then(|| view! { <button type="button" id="close-meeting" on:click=go("close")>{i18n.t("meet.close")}</button> })}
                {(status == "closed").then(|| view! { <A href=format!("/staff/plans/new?meeting={id}")>{i18n.t("meet.to_plan")}</A> })}
            </div>
            {(status == "draft" || status == "scheduled" || status == "live").then(|| view! {
                <details>
                    <summary>{i18n.t("meet.invite_guest")}</summary>
                    <ActionForm action=guest attr:class="stack">
                        <input type="hidden" name="id" value=id.to_string() />
                        <label for="g-name">{i18n.t("meet.guest_name")}</label>
                        <input id="g-name" name="name" maxlength="40" required />
                        <label for="g-party">{i18n.t("meet.party")}</label>
                        <select id="g-party" name="party">
                            {["property", "enterprise", "department", "expert", "representative", "resident", "facilitator"].into_iter().map(|p| view! {
                                <option value=p>{i18n.tr(&format!("meet.party.{p}"))}</option>
                            }).collect_view()}
                        </select>
                        <label for="g-phone">{i18n.t("meet.phone")}</label>
                        <input id="g-phone" name="phone" type="tel" inputmode="tel" required maxlength="20" />
                        <button type="submit">{i18n.t("meet.invite")}</button>
                    </ActionForm>
                </details>
            })}
            {(status == "live").then(|| {
                let items = m.items.clone();
                view! {
                    <label for="current-item">{i18n.t("meet.current_item")}</label>
                    <select id="current-item" on:change=move |e| {
                        if let Ok(v) = event_target_value(&e).parse::<i64>() { act("item", Some(v)); }
                    }>
                        {items.into_iter().map(|it| view! {
                            <option value=it.id.to_string() selected=m.current_item_id == Some(it.id)>{it.title}</option>
                        }).collect_view()}
                    </select>
                    <ActionForm action=chair attr:class="stack" attr:id="open-poll">
                        <input type="hidden" name="id" value=id.to_string() />
                        <label for="poll-kind">{i18n.t("meet.poll_kind")}</label>
                        <select id="poll-kind" name="action">
                            <option value="poll">{i18n.t("meet.kind.poll")}</option>
                            <option value="motion">{i18n.t("meet.kind.motion")}</option>
                        </select>
                        <label for="poll-text">{i18n.t("meet.poll_text")}</label>
                        <textarea id="poll-text" name="text" rows="3" required maxlength="600"></textarea>
                        <button type="submit">{i18n.t("meet.open_poll")}</button>
                    </ActionForm>
                }
            })}
            {(status == "scheduled" || status == "live").then(|| view! {
                <ActionForm action=chair attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="action" value="minutes" />
                    <label for="minutes-text">{i18n.t("meet.minutes")}</label>
                    <textarea id="minutes-text" name="text" rows="6" maxlength="20000">{m.minutes.clone()}</textarea>
                    <button type="submit">{i18n.t("meet.save")}</button>
                </ActionForm>
                {m.items.clone().into_iter().map(|it| view! {
                    <ActionForm action=chair attr:class="stack">
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="action" value="resolution" />
                        <input type="hidden" name="target" value=it.id.to_string() />
                        <label for=format!("res-{}", it.id)>{i18n.t("meet.resolution")} ": " {it.title.clone()}</label>
                        <textarea id=format!("res-{}", it.id) name="text" rows="2" maxlength="2000">{it.resolution.clone().unwrap_or_default()}</textarea>
                        <button type="submit" class="secondary">{i18n.t("meet.save")}</button>
                    </ActionForm>
                }).collect_view()}
            })}
            {(status == "closed").then(|| view! {
                <ActionForm action=chair attr:class="stack">
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="action" value="outcome" />
                    <label for="outcome-text">{i18n.t("meet.outcome_use")}</label>
                    <textarea id="outcome-text" name="text" rows="3" maxlength="2000">{m.outcome_use.clone().unwrap_or_default()}</textarea>
                    <button type="submit">{i18n.t("meet.save")}</button>
                </ActionForm>
            })}
            {(status == "draft" || status == "scheduled").then(|| view! {
                <details>
                    <summary>{i18n.t("meet.cancel")}</summary>
                    <ActionForm action=cancel attr:class="stack">
                        <input type="hidden" name="id" value=id.to_string() />
                        <label for="cancel-reason">{i18n.t("agenda.reason")}</label>
                        <input id="cancel-reason" name="reason" required maxlength="300" />
                        <button type="submit" class="secondary">{i18n.t("meet.cancel")}</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
}

/// The staff's view of what changes during the meeting: open votes (with
/// on-site votes entered by hand), messages waiting, raised hands, and who
/// is here. Rebuilt on every change; it holds no free-text fields.
#[component]
fn ChairLive(m: MeetingView, chair: ServerAction<MeetingChair>) -> impl IntoView {
    let i18n = use_i18n();
    let id = m.id;
    let act = move |action: &'static str, target: Option<i64>| {
        chair.dispatch(MeetingChair {
            id,
            action: action.into(),
            target,
            text: None,
            choice: None,
        });
    };
    let status = m.status.clone();
    let onsite: Vec<ParticipantView> = m
        .participants
        .iter()
        .filter(|p| p.attend.as_deref() == Some("onsite"))
        .cloned()
        .collect();
    view! {
        <section class="card staff" id="chair-live">
            {(status == "live").then(|| view! {
                    {m.motions.iter().filter(|x| x.open).map(|mo| {
                        let mid = mo.id;
                        let options = mo.options.clone();
                        let people = onsite.clone();
                        view! {
                            <div class="poll staff-poll" data-motion=mid.to_string()>
                                <p><strong>{mo.text.clone()}</strong> " — " {i18n.t("meet.cast")} " " <span class="cast">{mo.tally.cast}</span></p>
                                <button type="button" on:click=move |_| act("close_motion", Some(mid))>{i18n.t("meet.close_poll")}</button>
                                {(!people.is_empty()).then(|| view! {
                                    <ActionForm action=chair attr:class="inline-filters">
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <input type="hidden" name="action" value="enter_vote" />
                                        <input type="hidden" name="target" value=mid.to_string() />
                                        <label for=format!("ev-p-{mid}")>{i18n.t("meet.onsite_vote")}</label>
                                        <select id=format!("ev-p-{mid}") name="text">
                                            {people.into_iter().map(|p| view! { <option value=p.id.to_string()>{p.name}</option> }).collect_view()}
                                        </select>
                                        <select name="choice" aria-label=i18n.tr("meet.choice")>
                                            {options.iter().enumerate().map(|(i, o)| view! { <option value=i.to_string()>{o.clone()}</option> }).collect_view()}
                                        </select>
                                        <button type="submit">{i18n.t("meet.enter")}</button>
                                    </ActionForm>
                                })}
                            </div>
                        }
                    }).collect_view()}
                    <h3>{i18n.t("meet.waiting_messages")}</h3>
                    <ul class="messages">
                        {m.messages.iter().filter(|x| x.status == "pending").map(|x| {
                            let xid = x.id;
                            view! {
                                <li>{x.name.clone()} ": " {x.body.clone()} " "
                                    <button type="button" on:click=move |_| act("show", Some(xid))>{i18n.t("meet.show")}</button>
                                    <button type="button" class="secondary" on:click=move |_| act("hide", Some(xid))>{i18n.t("meet.hide")}</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                    <ul class="hands">
                        {m.hands.iter().map(|h| {
                            let pid = h.participant_id;
                            view! { <li>{h.name.clone()} " " <button type="button" on:click=move |_| act("call_on", Some(pid))>{i18n.t("meet.call_on")}</button></li> }
                        }).collect_view()}
                    </ul>
            })}
            {(!m.participants.is_empty()).then(|| view! {
                <table class="participants">
                    <caption>{i18n.t("meet.participants")}</caption>
                    <thead><tr>
                        <th scope="col">{i18n.t("meet.guest_name")}</th>
                        <th scope="col">{i18n.t("meet.party")}</th>
                        <th scope="col">{i18n.t("meet.rsvp")}</th>
                        <th scope="col">{i18n.t("meet.attendance")}</th>
                    </tr></thead>
                    <tbody>
                        {m.participants.iter().map(|p| {
                            let pid = p.id;
                            let absent = p.attend.is_none() && (status == "scheduled" || status == "live");
                            view! {
                                <tr>
                                    <td>{p.name.clone()}</td>
                                    <td>{i18n.tr(&format!("meet.party.{}", p.party))}</td>
                                    <td>{i18n.tr(&format!("meet.rsvp.{}", if p.rsvp == "none" { "none" } else { p.rsvp.as_str() }))}</td>
                                    <td>{match p.attend.as_deref() {
                                        Some("onsite") => i18n.tr("meet.onsite"),
                                        Some(_) => i18n.tr("meet.online"),
                                        None => "—",
                                    }}
                                    {absent.then(|| view! { " " <button type="button" class="secondary" on:click=move |_| act("check_in", Some(pid))>{i18n.t("meet.check_in")}</button> })}
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            })}
        </section>
    }
}

/// A printable sheet for the venue: the code and a QR code to check in.
#[component]
pub fn VenueSheet() -> impl IntoView {
    let i18n = use_i18n();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let sheet = Resource::new(id, venue_sheet);
    view! {
        <section class="page venue-sheet">
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    match sheet.await {
                        Ok((m, path, svg)) => {
                            let svg = svg.find("<svg").map(|i| svg[i..].to_owned()).unwrap_or_default();
                            view! {
                                <h1>{m.title.clone()}</h1>
                                <p>{m.starts_local.clone()} " · " {m.venue.clone()}</p>
                                <p class="big-code">{i18n.t("meet.code")} ": " <strong>{m.checkin_code.clone().unwrap_or_default()}</strong></p>
                                <div class="qr" role="img" aria-label=i18n.tr("meet.qr") inner_html=svg></div>
                                <p class="url">{path}</p>
                                <p>{i18n.t("meet.sheet_hint")}</p>
                            }.into_any()
                        }
                        Err(e) => view! { <crate::pages::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
