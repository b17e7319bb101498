use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::areas::AreaPage;
use super::{ErrorNotice, action_error};
use crate::i18n::use_i18n;
use crate::model::{AccountView, CategoryView, CrawlSourceView, OrgUnitView, ScopeView};
use crate::{api, api_admin};

const ROLES: [&str; 10] = [
    "resident",
    "staff",
    "street_officer",
    "grid_worker",
    "department",
    "enterprise",
    "supervisor",
    "admin",
    "building_manager",
    "property",
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
            <nav class="subnav" aria-label=i18n.t("admin.title")>
                <leptos_router::components::A href="/admin/lexicon">{i18n.t("lexicon.title")}</leptos_router::components::A>
                <leptos_router::components::A href="/admin/risk">{i18n.t("risk.admin.title")}</leptos_router::components::A>
            </nav>
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
                        Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any()
                    }
                })}
            </Transition>
            <OrgAdmin />
            <CategoryAdmin />
            <CrawlSourceAdmin />
        </AreaPage>
    }
}

/// 组织架构: streets → communities → compounds; add, rename, code, retire.
#[component]
fn OrgAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<api_admin::SaveOrgUnit>::new();
    let retire = ServerAction::<api_admin::RetireOrgUnit>::new();
    let tree = Resource::new(
        move || (save.version().get(), retire.version().get()),
        |_| api_admin::org_tree(),
    );
    view! {
        <section aria-labelledby="org-title">
            <h2 id="org-title">{i18n.t("org.title")}</h2>
            <p class="intro">{i18n.t("org.intro")}</p>
            <ErrorNotice error=action_error(save) />
            <ErrorNotice error=action_error(retire) />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match tree.await {
                        Ok(units) => view! {
                            <ul class="org-tree" id="org-tree">
                                {units.into_iter().map(|u| view! { <OrgUnit unit=u save retire /> }).collect_view()}
                            </ul>
                            <OrgAddForm level="street" parent_id=None save />
                        }.into_any(),
                        Err(e) => view! { <super::ErrorMessage key=e.message_key() /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OrgUnit(
    unit: OrgUnitView,
    save: ServerAction<api_admin::SaveOrgUnit>,
    retire: ServerAction<api_admin::RetireOrgUnit>,
) -> AnyView {
    let i18n = use_i18n();
    let key = format!("{}-{}", unit.level, unit.id);
    let name_id = format!("org-name-{key}");
    let code_id = format!("org-code-{key}");
    let child_level = match unit.level.as_str() {
        "street" => Some("community"),
        "community" => Some("compound"),
        _ => None,
    };
    let label = format!("{} {}", unit.name, unit.code.clone().unwrap_or_default());
    let (level1, level2) = (unit.level.clone(), unit.level.clone());
    let (id1, id2) = (unit.id.to_string(), unit.id.to_string());
    let code = unit.code.clone().unwrap_or_default();
    let retired = unit.retired;
    let next_state = (!retired).to_string();
    let parent = unit.id;
    let children = unit.children;
    view! {
        <li class:retired=retired data-unit=key>
            <details>
                <summary>
                    {unit.name.clone()}
                    {unit.code.clone().map(|c| view! { " " <small>{c}</small> })}
                    {retired.then(|| view! { " " <span class="badge">{i18n.t("org.retired")}</span> })}
                </summary>
                <ActionForm action=save attr:class="inline-form" attr:aria-label=label>
                    <input type="hidden" name="level" value=level1 />
                    <input type="hidden" name="id" value=id1 />
                    <label for=name_id.clone()>{i18n.t("org.name")}</label>
                    <input id=name_id name="name" required maxlength="32" value=unit.name />
                    <label for=code_id.clone()>{i18n.t("org.code")}</label>
                    <input id=code_id name="code" maxlength="20" pattern="[0-9A-Za-z]{2,20}" value=code />
                    <button type="submit" class="secondary">{i18n.t("admin.save")}</button>
                </ActionForm>
                <ActionForm action=retire attr:class="inline-form">
                    <input type="hidden" name="level" value=level2 />
                    <input type="hidden" name="id" value=id2 />
                    <input type="hidden" name="retired" value=next_state />
                    <button type="submit" class="secondary">
                        {if retired { i18n.t("org.restore")() } else { i18n.t("org.retire")() }}
                    </button>
                </ActionForm>
                {child_level.map(|level| view! { <OrgAddForm level parent_id=Some(parent) save /> })}
            </details>
            {(!children.is_empty()).then(|| view! {
                <ul>
                    {children.into_iter().map(|c| OrgUnit(OrgUnitProps { unit: c, save, retire })).collect_view()}
                </ul>
            })}
        </li>
    }
    .into_any()
}

#[component]
fn OrgAddForm(
    level: &'static str,
    parent_id: Option<i64>,
    save: ServerAction<api_admin::SaveOrgUnit>,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = format!("{level}-{}", parent_id.unwrap_or(0));
    let name_id = format!("org-new-{key}");
    let code_id = format!("org-new-code-{key}");
    let label = match level {
        "street" => "org.add_street",
        "community" => "org.add_community",
        _ => "org.add_compound",
    };
    view! {
        <ActionForm action=save attr:class="inline-form org-add" attr:data-add=key>
            <input type="hidden" name="level" value=level />
            {parent_id.map(|p| view! { <input type="hidden" name="parent_id" value=p.to_string() /> })}
            <label for=name_id.clone()>{i18n.t(label)}</label>
            <input id=name_id name="name" required maxlength="32" />
            <label for=code_id.clone()>{i18n.t("org.code")}</label>
            <input id=code_id name="code" maxlength="20" pattern="[0-9A-Za-z]{2,20}" />
            <button type="submit">{i18n.t("org.add")}</button>
        </ActionForm>
    }
}

/// Categories: rename, reorder, retire, add.
#[component]
fn CategoryAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<api_admin::SaveCategory>::new();
    let list = Resource::new(
        move || save.version().get(),
        |_| crate::api_opinions::list_categories(true),
    );
    let row = move |c: Option<CategoryView>| {
        let new = c.is_none();
        let c = c.unwrap_or(CategoryView {
            code: String::new(),
            name_zh: String::new(),
            name_en: String::new(),
            sort: 100,
            active: true,
        });
        let key = if new {
            "new".to_owned()
        } else {
            c.code.clone()
        };
        let code_attr = key.clone();
        view! {
            <ActionForm action=save attr:class="card category-form" attr:data-code=code_attr>
                <label for=format!("cat-code-{key}")>{i18n.t("category.code")}</label>
                <input id=format!("cat-code-{key}") name="code" required pattern="[a-z0-9_]{2,32}" maxlength="32"
                    value=c.code.clone() readonly=!new />
                <label for=format!("cat-zh-{key}")>{i18n.t("category.name_zh")}</label>
                <input id=format!("cat-zh-{key}") name="name_zh" required maxlength="16" value=c.name_zh.clone() />
                <label for=format!("cat-en-{key}")>{i18n.t("category.name_en")}</label>
                <input id=format!("cat-en-{key}") name="name_en" required maxlength="32" value=c.name_en.clone() />
                <label for=format!("cat-sort-{key}")>{i18n.t("category.sort")}</label>
                <input id=format!("cat-sort-{key}") name="sort" type="number" min="-9999" max="9999" value=c.sort.to_string() />
                <label class="check">
                    <input type="checkbox" name="active" value="on" checked=c.active />
                    {i18n.t("category.active")}
                </label>
                <button type="submit" class="secondary">{if new { i18n.t("category.add")() } else { i18n.t("admin.save")() }}</button>
            </ActionForm>
        }
    };
    view! {
        <section aria-labelledby="categories-title">
            <h2 id="categories-title">{i18n.t("category.title")}</h2>
            <p class="intro">{i18n.t("category.intro")}</p>
            <ErrorNotice error=action_error(save) />
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let rows = list.await.unwrap_or_default();
                    view! {
                        <div class="grid" id="category-admin">
                            {rows.into_iter().map(|c| row(Some(c))).collect_view()}
                            {row(None)}
                        </div>
                    }
                })}
            </Transition>
        </section>
    }
}

/// Crawler sources: what to fetch, how politely, where items go; run now.
#[component]
fn CrawlSourceAdmin() -> impl IntoView {
    let i18n = use_i18n();
    let save = ServerAction::<api_admin::SaveCrawlSource>::new();
    let run = ServerAction::<api_admin::RunCrawlSource>::new();
    let sources = Resource::new(
        move || (save.version().get(), run.version().get()),
        |_| api_admin::crawl_sources(),
    );
    let communities = Resource::new(|| (), |_| api::list_communities());
    view! {
        <section aria-labelledby="sources-title">
            <h2 id="sources-title">{i18n.t("crawl.title")}</h2>
            <p class="intro">{i18n.t("crawl.intro")}</p>
            <ErrorNotice error=action_error(save) />
            <ErrorNotice error=action_error(run) />
            <Show when=move || matches!(run.value().get(), Some(Ok(())))>
                <p class="notice ok" role="status">{i18n.t("crawl.run_started")}</p>
            </Show>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let rows = sources.await.unwrap_or_default();
                    let names: Vec<String> = communities.await.unwrap_or_default().into_iter().map(|c| c.name).collect();
                    view! {
                        <div id="crawl-sources">
                            {rows.into_iter().map(|src| {
                                let id = src.id;
                                let summary = src.last_summary.clone();
                                let last = src.last_run_at.clone();
                                let name = src.name.clone();
                                let name_attr = src.name.clone();
                                let enabled = src.enabled;
                                view! {
                                    <details class="card source" data-name=name_attr>
                                        <summary>
                                            <strong>{name}</strong>
                                            " · " {if enabled { i18n.t("crawl.enabled")() } else { i18n.t("crawl.disabled")() }}
                                            {last.map(|t| format!(" · {t}"))}
                                        </summary>
                                        {summary.map(|s| view! { <p class="meta"><code>{s}</code></p> })}
                                        <ActionForm action=run attr:class="inline">
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <button type="submit" class="secondary">{i18n.t("crawl.run")}</button>
                                        </ActionForm>
                                        <SourceForm save source=Some(src) communities=names.clone() />
                                    </details>
                                }
                            }).collect_view()}
                            <details class="card source">
                                <summary><strong>{i18n.t("crawl.add")}</strong></summary>
                                <SourceForm save source=None communities=names />
                            </details>
                        </div>
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn SourceForm(
    save: ServerAction<api_admin::SaveCrawlSource>,
    source: Option<CrawlSourceView>,
    communities: Vec<String>,
) -> impl IntoView {
    let i18n = use_i18n();
    let key = source
        .as_ref()
        .map_or_else(|| "new".to_owned(), |s| s.id.to_string());
    let s = source.clone();
    let get = move |f: fn(&CrawlSourceView) -> String, default: &str| {
        s.as_ref().map_or_else(|| default.to_owned(), f)
    };
    let text_key = key.clone();
    let text = move |name: &'static str, label: &'static str, value: String, required: bool| {
        let id = format!("src-{name}-{text_key}");
        view! {
            <label for=id.clone()>{i18n.t(label)}</label>
            <input id=id name=name value=value required=required maxlength="300" />
        }
    };
    let community = source.as_ref().and_then(|s| s.community.clone());
    let encoding = source
        .as_ref()
        .and_then(|s| s.encoding.clone())
        .unwrap_or_default();
    view! {
        <ActionForm action=save attr:class="source-form">
            {source.as_ref().map(|s| view! { <input type="hidden" name="id" value=s.id.to_string() /> })}
            {text("name", "crawl.name", get(|s| s.name.clone(), ""), true)}
            <label for=format!("src-urls-{key}")>{i18n.t("crawl.start_urls")}</label>
            <textarea id=format!("src-urls-{key}") name="start_urls" required rows="3">{get(|s| s.start_urls.join("\n"), "")}</textarea>
            {text("list_item", "crawl.list_item", get(|s| s.list_item.clone(), ""), true)}
            {text("link", "crawl.link", get(|s| s.link.clone(), "a"), false)}
            {text("next_page", "crawl.next_page", get(|s| s.next_page.clone().unwrap_or_default(), ""), false)}
            {text("title", "crawl.sel_title", get(|s| s.title.clone(), ""), true)}
            {text("body", "crawl.sel_body", get(|s| s.body.clone(), ""), true)}
            {text("date", "crawl.sel_date", get(|s| s.date.clone().unwrap_or_default(), ""), false)}
            {text("author", "crawl.sel_author", get(|s| s.author.clone().unwrap_or_default(), ""), false)}
            <label for=format!("src-enc-{key}")>{i18n.t("crawl.encoding")}</label>
            <select id=format!("src-enc-{key}") name="encoding">
                {["", "utf-8", "gbk", "gb18030", "big5"].into_iter().map(|e| {
                    let sel = e == encoding;
                    view! { <option value=e selected=sel>{if e.is_empty() { i18n.t("crawl.encoding.auto")() } else { e }}</option> }
                }).collect_view()}
            </select>
            <label for=format!("src-pages-{key}")>{i18n.t("crawl.max_pages")}</label>
            <input id=format!("src-pages-{key}") name="max_pages" type="number" min="1" max="10000" required
                value=get(|s| s.max_pages.to_string(), "200") />
            <label for=format!("src-delay-{key}")>{i18n.t("crawl.min_delay_ms")}</label>
            <input id=format!("src-delay-{key}") name="min_delay_ms" type="number" min="0" max="60000" required
                value=get(|s| s.min_delay_ms.to_string(), "1000") />
            <label for=format!("src-every-{key}")>{i18n.t("crawl.every_minutes")}</label>
            <input id=format!("src-every-{key}") name="every_minutes" type="number" min="0" max="10080"
                value=get(|s| s.every_minutes.to_string(), "0") />
            {text("user_agent", "crawl.user_agent", get(|s| s.user_agent.clone(), "HongchaBot/0.1 (+civic deliberation platform)"), true)}
            <label for=format!("src-allow-{key}")>{i18n.t("crawl.allow_addresses")}</label>
            <textarea id=format!("src-allow-{key}") name="allow_addresses" rows="2">{get(|s| s.allow_addresses.join("\n"), "")}</textarea>
            <label for=format!("src-com-{key}")>{i18n.t("form.community")}</label>
            <select id=format!("src-com-{key}") name="community">
                {communities.into_iter().map(|c| {
                    let sel = community.as_deref() == Some(c.as_str());
                    view! { <option value=c.clone() selected=sel>{c.clone()}</option> }
                }).collect_view()}
            </select>
            <label class="check">
                <input type="checkbox" name="publish_directly" value="on" checked=source.as_ref().is_some_and(|s| s.publish_directly) />
                {i18n.t("crawl.publish_directly")}
            </label>
            <label class="check">
                <input type="checkbox" name="enabled" value="on" checked=source.as_ref().is_none_or(|s| s.enabled) />
                {i18n.t("crawl.enabled")}
            </label>
            <button type="submit">{i18n.t("admin.save")}</button>
        </ActionForm>
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
