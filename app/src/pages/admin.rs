use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::areas::AreaPage;
use super::{ErrorNotice, action_error};
use crate::api;
use crate::i18n::use_i18n;
use crate::model::{AccountView, ScopeView};

const ROLES: [&str; 8] = [
    "resident",
    "staff",
    "street_officer",
    "grid_worker",
    "department",
    "enterprise",
    "supervisor",
    "admin",
];

#[component]
pub fn AdminArea() -> impl IntoView {
    let i18n = use_i18n();
    let query = use_query_map();
    let grant = ServerAction::<api::GrantRole>::new();
    let revoke = ServerAction::<api::RevokeRole>::new();
    let scopes = Resource::new(|| (), |_| api::admin_scopes());
    let accounts = Resource::new(
        move || {
            (
                query.read().get("q").unwrap_or_default(),
                grant.version().get(),
                revoke.version().get(),
            )
        },
        |(q, _, _)| api::admin_accounts(q),
    );
    view! {
        <AreaPage area="admin" title="admin.title" intro="admin.accounts">
            <form method="get" action="/admin" class="search" role="search">
                <label for="admin-q">{i18n.t("admin.search")}</label>
                <div class="with-button">
                    <input id="admin-q" name="q" type="search" maxlength="40"
                        value=move || query.read().get("q").unwrap_or_default() />
                    <button type="submit">{i18n.t("admin.search.go")}</button>
                </div>
            </form>
            <ErrorNotice error=action_error(grant) />
            <ErrorNotice error=action_error(revoke) />
            <Transition fallback=move || view! { <p>{i18n.t("page.loading")}</p> }>
                {move || Suspend::new(async move {
                    let scopes = scopes.await.unwrap_or_default();
                    match accounts.await {
                        Ok(rows) if rows.is_empty() => view! { <p class="empty">{i18n.t("admin.empty")}</p> }.into_any(),
                        Ok(rows) => view! { <AccountTable rows scopes grant revoke /> }.into_any(),
                        Err(e) => {
                            let key = e.message_key();
                            view! { <p class="notice error" role="alert">{move || i18n.tr(&key)}</p> }.into_any()
                        }
                    }
                })}
            </Transition>
        </AreaPage>
    }
}

#[component]
fn AccountTable(
    rows: Vec<AccountView>,
    scopes: Vec<ScopeView>,
    grant: ServerAction<api::GrantRole>,
    revoke: ServerAction<api::RevokeRole>,
) -> impl IntoView {
    let i18n = use_i18n();
    view! {
        <div class="table-wrap">
            <table id="accounts" class="stack">
                <thead>
                    <tr>
                        <th scope="col">{i18n.t("admin.col.name")}</th>
                        <th scope="col">{i18n.t("admin.col.phone")}</th>
                        <th scope="col">{i18n.t("admin.col.community")}</th>
                        <th scope="col">{i18n.t("admin.col.roles")}</th>
                        <th scope="col">{i18n.t("admin.grant")}</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|a| {
                            let id = a.id;
                            let scopes = scopes.clone();
                            view! {
                                <tr>
                                    <td data-label=i18n.t("admin.col.name")>{a.display_name}</td>
                                    <td data-label=i18n.t("admin.col.phone")>{a.phone}</td>
                                    <td data-label=i18n.t("admin.col.community")>{a.community.unwrap_or_default()}</td>
                                    <td data-label=i18n.t("admin.col.roles")>
                                        <ul class="grants">
                                            {a.grants
                                                .into_iter()
                                                .map(|g| {
                                                    let key = format!("role.{}", g.role);
                                                    let scope = if g.scope_label.is_empty() { String::new() } else { format!(" · {}", g.scope_label) };
                                                    view! {
                                                        <li>
                                                            {move || i18n.tr(&key)} {scope}
                                                            <ActionForm action=revoke attr:class="inline">
                                                                <input type="hidden" name="grant_id" value=g.id.to_string() />
                                                                <button type="submit" class="link">{i18n.t("admin.revoke")}</button>
                                                            </ActionForm>
                                                        </li>
                                                    }
                                                })
                                                .collect_view()}
                                        </ul>
                                    </td>
                                    <td data-label=i18n.t("admin.grant")>
                                        <ActionForm action=grant attr:class="grant">
                                            <input type="hidden" name="account_id" value=id.to_string() />
                                            <label for=format!("role-{id}") class="sr-only">{i18n.t("admin.grant")}</label>
                                            <select id=format!("role-{id}") name="role">
                                                {ROLES
                                                    .iter()
                                                    .map(|r| {
                                                        let key = format!("role.{r}");
                                                        view! { <option value=*r>{move || i18n.tr(&key)}</option> }
                                                    })
                                                    .collect_view()}
                                            </select>
                                            <label for=format!("scope-{id}") class="sr-only">{i18n.t("admin.scope")}</label>
                                            <select id=format!("scope-{id}") name="scope" title=i18n.t("admin.scope.hint")>
                                                <option value="global">{i18n.t("admin.scope.global")}</option>
                                                {scopes
                                                    .iter()
                                                    .map(|sc| {
                                                        let kind_key = format!("admin.scope.{}", sc.kind);
                                                        let label = sc.label.clone();
                                                        view! {
                                                            <option value=sc.value.clone()>
                                                                {move || format!("{}：{}", i18n.tr(&kind_key), label)}
                                                            </option>
                                                        }
                                                    })
                                                    .collect_view()}
                                            </select>
                                            <button type="submit" class="secondary">{i18n.t("admin.grant")}</button>
                                        </ActionForm>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
}
