use leptos::prelude::*;
use leptos_router::components::A;

use crate::api;
use crate::i18n::use_i18n;
use crate::model::MeView;
use crate::use_session;

/// Renders `children` only for someone who may enter `area`; the server
/// enforces the same rule before the page is even rendered.
#[component]
pub fn AreaPage(
    area: &'static str,
    title: &'static str,
    intro: &'static str,
    children: ChildrenFn,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let children = StoredValue::new(children);
    view! {
        <h1>{i18n.t(title)}</h1>
        <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
            {move || Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) if me.areas.iter().any(|a| a == area) => {
                        view! {
                            <p class="intro">{i18n.t(intro)}</p>
                            {children.with_value(|c| c())}
                        }
                            .into_any()
                    }
                    Ok(Some(_)) => {
                        view! { <p class="notice error" role="alert">{i18n.t("page.forbidden")}</p> }
                            .into_any()
                    }
                    _ => {
                        view! {
                            <p class="notice" role="alert">
                                {i18n.t("page.login_needed")} " "
                                <A href=format!("/login?next=/{area}")>{i18n.t("nav.login")}</A>
                            </p>
                        }
                            .into_any()
                    }
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ResidentHome() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    view! {
        <AreaPage area="me" title="me.title" intro="app.tagline">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    session.me.await.ok().flatten().map(|me: MeView| {
                        let roles = me
                            .roles
                            .iter()
                            .map(|r| i18n.tr(&format!("role.{r}")))
                            .collect::<Vec<_>>()
                            .join("、");
                        view! {
                            <section class="card">
                                <h2>{i18n.t("me.hello")} {me.display_name.clone()}</h2>
                                <dl>
                                    <dt>{i18n.t("me.phone")}</dt>
                                    <dd data-testid="own-phone">{me.phone.clone()}</dd>
                                    <dt>{i18n.t("me.roles")}</dt>
                                    <dd>{roles}</dd>
                                </dl>
                            </section>
                        }
                    })
                })}
            </Transition>
            <section class="card">
                <h2>{i18n.t("me.opinions")}</h2>
                <super::MyOpinions />
            </section>
            <crate::plans::Inbox />
            <p><A href="/risk/mine" attr:id="open-my-risk" attr:class="button secondary">{i18n.t("risk.mine.title")}</A></p>
            <ChangePassword />
        </AreaPage>
    }
}

/// 修改密码: the current password, then the new one; other sessions end.
#[component]
fn ChangePassword() -> impl IntoView {
    let i18n = use_i18n();
    let change = ServerAction::<crate::api::ChangePassword>::new();
    let done = move || matches!(change.value().get(), Some(Ok(())));
    view! {
        <section class="card" aria-labelledby="password-title">
            <h2 id="password-title">{i18n.t("me.password")}</h2>
            <ActionForm action=change attr:id="password-form">
                <super::auth::PasswordField id="current-password" autocomplete="current-password"
                    name="current_password" label="form.current_password" />
                <super::auth::PasswordField id="new-password" autocomplete="new-password"
                    label="form.new_password" />
                <super::ErrorNotice error=super::action_error(change) />
                <Show when=done>
                    <p class="notice ok" role="status">{i18n.t("me.password_changed")}</p>
                </Show>
                <button type="submit" disabled=move || change.pending().get()>
                    {i18n.t("form.submit.change_password")}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn StaffPanel() -> impl IntoView {
    let i18n = use_i18n();
    provide_context(super::ModerationTick(RwSignal::new(0)));
    view! {
        <AreaPage area="staff" title="staff.title" intro="staff.intro">
            <nav class="subnav" aria-label=i18n.t("staff.title")>
                <a href="#queue-title">{i18n.t("staff.queue")}</a>
                <a href="#comments-queue-title">{i18n.t("staff.comments")}</a>
                <a href="#log-title">{i18n.t("staff.log")}</a>
                <A href="/staff/import">{i18n.t("import.title")}</A>
                <A href="/staff/agenda">{i18n.t("agenda.title")}</A>
                <A href="/reports">{i18n.t("report.title")}</A>
                <A href="/risk">{i18n.t("risk.overview.title")}</A>
                <A href="/enterprise/register">{i18n.t("ent.register.title")}</A>
            </nav>
            <section>
                <h2 id="queue-title">{i18n.t("staff.queue")}</h2>
                <super::ModerationQueue />
            </section>
            <section>
                <h2 id="comments-queue-title">{i18n.t("staff.comments")}</h2>
                <super::CommentQueue />
            </section>
            <section>
                <h2 id="log-title">{i18n.t("staff.log")}</h2>
                <super::ModerationLog />
            </section>
        </AreaPage>
    }
}

#[component]
pub fn StreetArea() -> impl IntoView {
    let i18n = use_i18n();
    let communities = Resource::new(|| (), |_| api::list_communities());
    view! {
        <AreaPage area="street" title="street.title" intro="street.intro">
            <p>
                <A href="/reports" attr:class="button" attr:id="open-report">{i18n.t("report.link")}</A>
                " "
                <A href="/risk" attr:class="button secondary" attr:id="open-risk">{i18n.t("risk.overview.title")}</A>
                " "
                <A href="/enterprise/dashboard" attr:class="button secondary" attr:id="open-economy">{i18n.t("ent.dash.title")}</A>
                " "
                <A href="/enterprise/register" attr:class="button secondary" attr:id="open-register">{i18n.t("ent.register.title")}</A>
            </p>
            <section class="card">
                <h2>{i18n.t("street.communities")}</h2>
                <Suspense fallback=|| ()>
                    <ul>
                        {move || Suspend::new(async move {
                            communities
                                .await
                                .unwrap_or_default()
                                .into_iter()
                                .map(|c| view! { <li>{c.name}</li> })
                                .collect_view()
                        })}
                    </ul>
                </Suspense>
            </section>
        </AreaPage>
    }
}

#[component]
pub fn TaskInbox() -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <AreaPage area="tasks" title="tasks.title" intro="tasks.intro">
            <nav class="subnav" aria-label=i18n.t("tasks.title")>
                <A href="/tasks/risk" attr:id="open-risk-cases">{i18n.t("risk.cases.title")}</A>
                <A href="/risk">{i18n.t("risk.overview.title")}</A>
                <A href="/enterprise/leases" attr:id="open-leases">{i18n.t("ent.leases.title")}</A>
                <A href="/enterprise/buildings" attr:id="open-buildings">{i18n.t("ent.buildings.title")}</A>
                <A href="/enterprise" attr:id="open-enterprise">{i18n.t("ent.title")}</A>
                <A href="/risk/mine" attr:id="open-my-risk">{i18n.t("risk.mine.title")}</A>
            </nav>
            <section class="card">
                <p class="empty">{i18n.t("tasks.empty")}</p>
            </section>
        </AreaPage>
    }
}

#[component]
pub fn AuditArea() -> impl IntoView {
    let audit = Resource::new(|| (), |_| api::audit_overview());
    view! {
        <AreaPage area="audit" title="audit.title" intro="audit.intro">
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match audit.await {
                        Ok(a) => view! { <AuditTable audit=a /> }.into_any(),
                        Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                    }
                })}
            </Suspense>
        </AreaPage>
    }
}

#[component]
fn AuditTable(audit: crate::model::AuditView) -> impl IntoView {
    let i18n = use_i18n();
    let status = match audit.first_bad_seq {
        None => view! {
            <p class="notice ok" role="status" data-testid="audit-status">
                {i18n.t("audit.chain_ok")} " · " {audit.entries_total} " " {i18n.t("audit.entries")}
            </p>
        }
        .into_any(),
        Some(seq) => view! {
            <p class="notice error" role="alert" data-testid="audit-status">
                {i18n.t("audit.chain_bad")} " #" {seq}
            </p>
        }
        .into_any(),
    };
    view! {
        {status}
        <div class="table-wrap">
            <table class="stack">
                <thead>
                    <tr>
                        <th scope="col">{i18n.t("audit.col.seq")}</th>
                        <th scope="col">{i18n.t("audit.col.time")}</th>
                        <th scope="col">{i18n.t("audit.col.actor")}</th>
                        <th scope="col">{i18n.t("audit.col.action")}</th>
                        <th scope="col">{i18n.t("audit.col.target")}</th>
                    </tr>
                </thead>
                <tbody>
                    {audit
                        .recent
                        .into_iter()
                        .map(|e| {
                            let actor = e.actor_id.map(|a| format!("#{a}"));
                            view! {
                                <tr>
                                    <td data-label=i18n.t("audit.col.seq")>{e.seq}</td>
                                    <td data-label=i18n.t("audit.col.time")>{e.at}</td>
                                    <td data-label=i18n.t("audit.col.actor")>{move || actor.clone().unwrap_or_else(|| i18n.tr("audit.system").to_owned())}</td>
                                    <td data-label=i18n.t("audit.col.action")>{e.action}</td>
                                    <td data-label=i18n.t("audit.col.target")>{e.target}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
