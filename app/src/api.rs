//! Server functions: thin — session, one `domain` call, mapped error.
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

use crate::model::*;

#[cfg(feature = "ssr")]
use crate::state::{self, map_err};

/// A same-site path to go to after login; anything else becomes `fallback`.
///
/// Browsers parse a `Location` by the URL standard, which drops tabs and
/// newlines anywhere, trims spaces and controls, and reads `\` as `/`; so
/// `/<TAB>/evil.example` becomes `//evil.example`, another site. Only
/// printable ASCII without `\` is accepted, it must be one `/` followed by
/// something other than `/`, and the same must hold once percent-escapes
/// are decoded (a proxy or framework may decode them before the browser
/// sees the path).
pub fn safe_next(next: &str, fallback: &str) -> String {
    // No controls, spaces or backslashes anywhere; bytes above ASCII (from
    // decoded escapes of Chinese text) are fine.
    fn same_origin_path(p: &[u8]) -> bool {
        p.first() == Some(&b'/')
            && !matches!(p.get(1), Some(b'/' | b'\\'))
            && p.iter().all(|b| *b > b' ' && *b != 0x7f && *b != b'\\')
    }
    fn percent_decoded(s: &str) -> Vec<u8> {
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = |c: u8| (c as char).to_digit(16);
            match (
                b[i],
                b.get(i + 1).and_then(|c| hex(*c)),
                b.get(i + 2).and_then(|c| hex(*c)),
            ) {
                (b'%', Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                }
                (c, _, _) => {
                    out.push(c);
                    i += 1;
                }
            }
        }
        out
    }
    let ok = next.len() <= 2048
        && next.is_ascii()
        && same_origin_path(next.as_bytes())
        && same_origin_path(&percent_decoded(next));
    if ok {
        next.to_owned()
    } else {
        fallback.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_this_site() {
        for good in [
            "/",
            "/opinions",
            "/opinions/12?tab=comments#c3",
            "/staff/moderation?page=2",
            "/search?q=%E7%94%B5%E6%A2%AF",
        ] {
            assert_eq!(safe_next(good, "/x"), good);
        }
        for bad in [
            "",
            "opinions",
            "//evil.example",
            "/\\evil.example",
            "\\/evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "\t//evil.example",
            " //evil.example",
            "/ /evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0a/x",
            "https://evil.example/",
            "/\u{3000}/evil.example",
            "/\u{0}x",
            "/\x7f/evil.example",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad, "/fallback"), "/fallback", "{bad:?}");
        }
        assert_eq!(safe_next(&format!("/{}", "a".repeat(3000)), "/f"), "/f");
    }
}

#[cfg(feature = "ssr")]
fn me_view(p: domain::Principal) -> MeView {
    MeView {
        account_id: p.account_id,
        display_name: p.display_name.clone(),
        phone: p.phone.clone(),
        community_id: p.community_id,
        roles: p
            .grants
            .iter()
            .map(|g| g.role.as_str().to_owned())
            .collect(),
        areas: p.areas().iter().map(|a| a.as_str().to_owned()).collect(),
    }
}

/// Who is logged in (or `None`).
#[server(prefix = "/api", endpoint = "me", input = GetUrl)]
pub async fn get_me() -> Result<Option<MeView>, AppError> {
    Ok(state::principal().await?.map(me_view))
}

/// Communities to choose from when signing up (public).
#[server(prefix = "/api", endpoint = "communities", input = GetUrl)]
pub async fn list_communities() -> Result<Vec<CommunityView>, AppError> {
    let st = state::state()?;
    let rows = domain::org::communities(&st.services)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|c| CommunityView {
            id: c.id,
            name: c.name,
            street_name: c.street_name,
        })
        .collect())
}

/// Sends the code that proves a new resident's phone number.
#[server(prefix = "/api", endpoint = "request_register_code")]
pub async fn request_register_code(phone: String) -> Result<(), AppError> {
    let st = state::state()?;
    domain::accounts::request_register_code(&st.services, &state::client_ip(), &phone)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "register")]
pub async fn register(
    phone: String,
    #[server(default)] code: String,
    password: String,
    display_name: String,
    community_id: i64,
) -> Result<(), AppError> {
    let st = state::state()?;
    let input = domain::accounts::RegisterInput {
        phone,
        code,
        password,
        display_name,
        community_id,
    };
    domain::accounts::register(&st.services, &state::client_ip(), input)
        .await
        .map_err(map_err)?;
    leptos_axum::redirect("/login?registered=1");
    Ok(())
}

#[cfg(feature = "ssr")]
fn start_session(st: &state::AppState, token: &str, next: &str, p: &domain::Principal) {
    state::set_session_cookie(token, st.services.settings.session_ttl.num_seconds());
    let fallback = p.areas().first().map(|a| a.path()).unwrap_or("/");
    leptos_axum::redirect(&safe_next(next, fallback));
}

#[server(prefix = "/api", endpoint = "login")]
pub async fn login(phone: String, password: String, next: String) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, p) =
        domain::accounts::login_password(&st.services, &state::client_ip(), &phone, &password)
            .await
            .map_err(map_err)?;
    start_session(&st, &token, &next, &p);
    Ok(())
}

/// Changes the signed-in person's password; their other sessions end.
#[server(prefix = "/api", endpoint = "change_password")]
pub async fn change_password(current_password: String, password: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let token = state::session_token().ok_or(AppError::Unauthenticated)?;
    domain::accounts::change_password(&st.services, &actor, &token, &current_password, &password)
        .await
        .map_err(map_err)
}

#[server(prefix = "/api", endpoint = "request_code")]
pub async fn request_code(phone: String) -> Result<(), AppError> {
    let st = state::state()?;
    domain::accounts::request_login_code(&st.services, &state::client_ip(), &phone)
        .await
        .map_err(map_err)
}

/// Logs in with an SMS code; a `new_password` also resets the password
/// (and ends the account's other sessions).
#[server(prefix = "/api", endpoint = "login_code")]
pub async fn login_code(
    phone: String,
    code: String,
    next: String,
    #[server(default)] new_password: String,
) -> Result<(), AppError> {
    let st = state::state()?;
    let (token, p) = domain::accounts::login_with_code(
        &st.services,
        &state::client_ip(),
        &phone,
        &code,
        Some(new_password.as_str()),
    )
    .await
    .map_err(map_err)?;
    start_session(&st, &token, &next, &p);
    Ok(())
}

#[server(prefix = "/api", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let st = state::state()?;
    if let Some(t) = state::session_token() {
        domain::accounts::logout(&st.services, &t)
            .await
            .map_err(map_err)?;
    }
    state::set_session_cookie("", 0);
    leptos_axum::redirect("/");
    Ok(())
}

/// Accounts for the admin page (admins only; checked in `domain`).
#[server(prefix = "/api", endpoint = "admin_accounts", input = GetUrl)]
pub async fn admin_accounts(query: String) -> Result<Vec<AccountView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let rows = domain::accounts::list_accounts(&st.services, &actor, &query, 100)
        .await
        .map_err(map_err)?;
    Ok(rows
        .into_iter()
        .map(|a| AccountView {
            id: a.id,
            display_name: a.display_name,
            phone: a.phone,
            community: a.community_name,
            disabled: a.disabled,
            grants: a
                .grants
                .into_iter()
                .map(|g| GrantView {
                    id: g.id,
                    role: g.grant.role.as_str().to_owned(),
                    scope_kind: g.grant.scope.kind().to_owned(),
                    scope_id: g.grant.scope.id(),
                    scope_label: g.scope_label,
                })
                .collect(),
        })
        .collect())
}

/// Scopes to grant roles in (admins only).
#[server(prefix = "/api", endpoint = "admin_scopes", input = GetUrl)]
pub async fn admin_scopes() -> Result<Vec<ScopeView>, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let options = domain::org::scopes_for_granting(&st.services, &actor)
        .await
        .map_err(map_err)?;
    Ok(options
        .into_iter()
        .map(|o| ScopeView {
            kind: o.scope.kind().to_owned(),
            value: format!("{}:{}", o.scope.kind(), o.scope.id()),
            label: o.label,
        })
        .collect())
}

/// Grants `role` in `scope` (`community:3`, `street:1`, `compound:7` or `global`).
#[server(prefix = "/api", endpoint = "grant_role")]
pub async fn grant_role(account_id: i64, role: String, scope: String) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let role = domain::Role::parse(&role).map_err(map_err)?;
    let (kind, id) = scope.split_once(':').unwrap_or((scope.as_str(), "0"));
    let id = id.parse::<i64>().unwrap_or(-1);
    let scope = domain::Scope::from_parts(kind, id).map_err(map_err)?;
    let grant = domain::accounts::Grant { role, scope };
    domain::accounts::grant_role(&st.services, &actor, account_id, grant)
        .await
        .map_err(map_err)?;
    Ok(())
}

#[server(prefix = "/api", endpoint = "revoke_role")]
pub async fn revoke_role(grant_id: i64) -> Result<(), AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    domain::accounts::revoke_role(&st.services, &actor, grant_id)
        .await
        .map_err(map_err)
}

/// The audit chain's state and its latest entries (supervisors and admins).
#[server(prefix = "/api", endpoint = "audit", input = GetUrl)]
pub async fn audit_overview() -> Result<AuditView, AppError> {
    let st = state::state()?;
    let actor = state::require_principal().await?;
    let recent = domain::audit::recent(&st.services, &actor, 50)
        .await
        .map_err(map_err)?;
    let check = domain::audit::verify(&st.services).await.map_err(map_err)?;
    Ok(AuditView {
        entries_total: check.entries,
        first_bad_seq: check.first_bad_seq,
        recent: recent
            .into_iter()
            .map(|e| AuditEntryView {
                seq: e.seq,
                actor_id: e.actor_id,
                action: e.action,
                target: e.target,
                at: domain::clock::from_micros(e.created_at),
            })
            .collect(),
    })
}
