use rand::Rng;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
    sea_query::{Expr, ExprTrait},
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::password::{self, Password};
use super::phone::{PhoneNumber, mask_phone};
use super::roles::{Grant, Principal, Role, Scope};
use crate::entities::{account, community, login_code, role_grant, session};
use crate::error::{DomainError, DomainResult};
use crate::ratelimit::Bucket;
use crate::{Services, audit, clock, org, outbox};

/// A display name: trimmed, 1–32 characters, no control characters.
pub fn parse_display_name(raw: &str) -> DomainResult<String> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(DomainError::validation("display_name", "required"));
    }
    if name.chars().count() > 32 {
        return Err(DomainError::validation("display_name", "too_long"));
    }
    if name.chars().any(char::is_control) {
        return Err(DomainError::validation("display_name", "invalid"));
    }
    Ok(name.to_owned())
}

pub struct RegisterInput {
    pub phone: String,
    /// The code sent by [`request_register_code`]: the number must be the
    /// resident's own.
    pub code: String,
    pub password: String,
    pub display_name: String,
    pub community_id: i64,
}

/// Sends a registration code to `phone`. A number that already has an
/// account gets a note saying so instead (the answer here is the same
/// either way, so it reveals nothing).
pub async fn request_register_code(s: &Services, client_ip: &str, phone: &str) -> DomainResult<()> {
    s.hit(Bucket::CodeIp, client_ip).await?;
    let phone = PhoneNumber::parse(phone)?;
    s.hit(Bucket::CodePhone, phone.as_str()).await?;
    if find_by_phone(&s.db, &phone).await?.is_some() {
        // Urgent like the code it stands in for: whoever asked is waiting
        // for it now, also at night (and a delay would tell them which).
        let (_gate, txn) = s.begin_write().await?;
        outbox::enqueue_urgent(
            &txn,
            outbox::Channel::Sms,
            phone.as_str(),
            "注册提醒",
            "【红茶议事会】这个号码已经注册过，可以直接登录；忘记密码可用验证码登录。如非本人操作，请忽略。",
        )
        .await?;
        txn.commit().await?;
        return Ok(());
    }
    send_code(s, &phone, CodePurpose::Register).await
}

/// A resident signs up with a code proving the phone number is theirs: a
/// new account with `resident@community`, its number marked verified.
pub async fn register(s: &Services, client_ip: &str, input: RegisterInput) -> DomainResult<i64> {
    s.hit(Bucket::RegisterIp, client_ip).await?;
    let phone = PhoneNumber::parse(&input.phone)?;
    let name = parse_display_name(&input.display_name)?;
    let password = Password::parse(&input.password)?;
    if !org::community_exists(&s.db, input.community_id).await? {
        return Err(DomainError::validation("community", "invalid"));
    }
    if input.code.trim().is_empty() {
        return Err(DomainError::validation("sms_code", "required"));
    }
    // The code first: a number that already has an account was never sent
    // a registration code, so probing numbers learns nothing here.
    redeem_code(s, &phone, CodePurpose::Register, &input.code)
        .await
        .map_err(|_| DomainError::validation("sms_code", "invalid"))?;
    if find_by_phone(&s.db, &phone).await?.is_some() {
        return Err(DomainError::Conflict("phone_taken"));
    }
    let hash = password.hash().await?;
    let (_gate, txn) = s.begin_write().await?;
    let id = insert_account(&txn, &phone, &name, Some(hash), Some(input.community_id))
        .await
        .map_err(|e| match e {
            DomainError::Database(ref db) if is_unique_violation(db) => {
                DomainError::Conflict("phone_taken")
            }
            other => other,
        })?;
    account::Entity::update_many()
        .col_expr(account::Column::PhoneVerifiedAt, Expr::value(clock::now()))
        .filter(account::Column::Id.eq(id))
        .exec(&txn)
        .await?;
    insert_grant(
        &txn,
        id,
        Grant {
            role: Role::Resident,
            scope: Scope::Community(input.community_id),
        },
        None,
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

fn is_unique_violation(e: &sea_orm::DbErr) -> bool {
    matches!(
        e.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}

async fn find_by_phone<C: ConnectionTrait>(
    conn: &C,
    phone: &PhoneNumber,
) -> DomainResult<Option<account::Model>> {
    Ok(account::Entity::find()
        .filter(account::Column::Phone.eq(phone.as_str()))
        .one(conn)
        .await?)
}

async fn insert_account<C: ConnectionTrait>(
    conn: &C,
    phone: &PhoneNumber,
    name: &str,
    password_hash: Option<String>,
    community_id: Option<i64>,
) -> DomainResult<i64> {
    let row = account::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        display_name: Set(name.to_owned()),
        password_hash: Set(password_hash),
        community_id: Set(community_id),
        disabled: Set(false),
        created_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(row.id)
}

/// The row that gives `account_id` the grant.
fn grant_row(account_id: i64, grant: Grant, granted_by: Option<i64>) -> role_grant::ActiveModel {
    role_grant::ActiveModel {
        account_id: Set(account_id),
        role: Set(grant.role.as_str().to_owned()),
        scope_kind: Set(grant.scope.kind().to_owned()),
        scope_id: Set(grant.scope.id()),
        granted_by: Set(granted_by),
        created_at: Set(clock::now()),
        ..Default::default()
    }
}

async fn insert_grant<C: ConnectionTrait>(
    conn: &C,
    account_id: i64,
    grant: Grant,
    granted_by: Option<i64>,
) -> DomainResult<i64> {
    let row = grant_row(account_id, grant, granted_by)
        .insert(conn)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                DomainError::Conflict("grant_exists")
            } else {
                DomainError::Database(e)
            }
        })?;
    Ok(row.id)
}

fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// A new login: a random 256-bit token for the cookie; only its hash is stored.
async fn create_session(s: &Services, account_id: i64) -> DomainResult<String> {
    let bytes: [u8; 32] = rand::rngs::OsRng.r#gen();
    let token = hex::encode(bytes);
    let now = clock::now();
    session::ActiveModel {
        id: Set(sha256_hex(&token)),
        account_id: Set(account_id),
        created_at: Set(now),
        expires_at: Set(now + s.settings.session_ttl),
    }
    .insert(&s.db)
    .await?;
    account::Entity::update_many()
        .col_expr(account::Column::LastLoginAt, Expr::value(now))
        .filter(account::Column::Id.eq(account_id))
        .exec(&s.db)
        .await?;
    Ok(token)
}

/// Logs in with phone number and password. Returns the session token.
pub async fn login_password(
    s: &Services,
    client_ip: &str,
    phone: &str,
    password: &str,
) -> DomainResult<(String, Principal)> {
    s.hit(Bucket::LoginIp, client_ip).await?;
    let phone = PhoneNumber::parse(phone).map_err(|_| DomainError::InvalidCredentials)?;
    // Failures count per account *and* address: someone guessing from one
    // address cannot lock the owner (on another) out of password login, and
    // code login never stops.
    let pair = format!("{}|{client_ip}", phone.as_str());
    s.hit(Bucket::LoginAccount, &pair).await?;
    if password.len() > 1024 {
        return Err(DomainError::InvalidCredentials);
    }
    let acct = find_by_phone(&s.db, &phone).await?;
    let ok = password::verify(
        password.to_owned(),
        acct.as_ref().and_then(|a| a.password_hash.clone()),
    )
    .await;
    match acct {
        Some(a) if ok && !a.disabled => {
            s.refund(Bucket::LoginAccount, &pair).await;
            let token = create_session(s, a.id).await?;
            let p = principal_of(&s.db, a).await?;
            Ok((token, p))
        }
        _ => Err(DomainError::InvalidCredentials),
    }
}

/// Sends a one-time login code by SMS (through the outbox). Answers the same
/// whether or not the number has an account, so it reveals nothing.
pub async fn request_login_code(s: &Services, client_ip: &str, phone: &str) -> DomainResult<()> {
    s.hit(Bucket::CodeIp, client_ip).await?;
    let phone = PhoneNumber::parse(phone)?;
    s.hit(Bucket::CodePhone, phone.as_str()).await?;
    let Some(acct) = find_by_phone(&s.db, &phone).await? else {
        return Ok(());
    };
    if acct.disabled {
        return Ok(());
    }
    send_code(s, &phone, CodePurpose::Login).await
}

/// What a one-time code is for; a code for one purpose never works for the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CodePurpose {
    Login,
    Register,
}

impl CodePurpose {
    fn tag(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Register => "register",
        }
    }
}

/// `salt$hash`: a fresh random salt per code, so equal codes never look
/// alike in the table and no precomputed table covers them.
fn hash_code(phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    let salt: [u8; 16] = rand::rngs::OsRng.r#gen();
    let salt = hex::encode(salt);
    let hash = salted_code_hash(&salt, phone, purpose, code);
    format!("{salt}${hash}")
}

fn salted_code_hash(salt: &str, phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> String {
    sha256_hex(&format!(
        "{salt}:{}:{}:{code}",
        purpose.tag(),
        phone.as_str()
    ))
}

/// Compares a typed code with a stored `salt$hash` in constant time.
fn code_matches(stored: &str, phone: &PhoneNumber, purpose: CodePurpose, code: &str) -> bool {
    let Some((salt, want)) = stored.split_once('$') else {
        return false;
    };
    let got = salted_code_hash(salt, phone, purpose, code.trim());
    want.len() == got.len()
        && want
            .bytes()
            .zip(got.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Stores a new code's salted hash and queues the SMS as a secret message.
async fn send_code(s: &Services, phone: &PhoneNumber, purpose: CodePurpose) -> DomainResult<()> {
    let code = format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000));
    let now = clock::now();
    let (_gate, txn) = s.begin_write().await?;
    login_code::ActiveModel {
        phone: Set(phone.as_str().to_owned()),
        code_hash: Set(hash_code(phone, purpose, &code)),
        attempts: Set(0),
        created_at: Set(now),
        expires_at: Set(now + s.settings.code_ttl),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    let minutes = s.settings.code_ttl.num_minutes();
    let (subject, what) = match purpose {
        CodePurpose::Login => ("登录验证码", "登录验证码"),
        CodePurpose::Register => ("注册验证码", "注册验证码"),
    };
    outbox::enqueue_secret(
        &txn,
        outbox::Channel::Sms,
        phone.as_str(),
        subject,
        &format!("【红茶议事会】您的{what}是 {code}，{minutes} 分钟内有效。请勿告诉他人。"),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Spends the latest live code sent to `phone` if `code` is it. Each try
/// first takes one of the code's five attempts with a guarded update, so
/// parallel guesses cannot get past five; the comparison is constant-time.
async fn redeem_code(
    s: &Services,
    phone: &PhoneNumber,
    purpose: CodePurpose,
    code: &str,
) -> DomainResult<()> {
    let now = clock::now();
    let latest = login_code::Entity::find()
        .filter(login_code::Column::Phone.eq(phone.as_str()))
        .filter(login_code::Column::UsedAt.is_null())
        .filter(login_code::Column::ExpiresAt.gt(now))
        .filter(login_code::Column::Attempts.lt(MAX_CODE_ATTEMPTS))
        .order_by_desc(login_code::Column::Id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::InvalidCredentials)?;
    let attempt = login_code::Entity::update_many()
        .col_expr(
            login_code::Column::Attempts,
            Expr::col(login_code::Column::Attempts).add(1),
        )
        .filter(login_code::Column::Id.eq(latest.id))
        .filter(login_code::Column::UsedAt.is_null())
        .filter(login_code::Column::Attempts.lt(MAX_CODE_ATTEMPTS))
        .exec(&s.db)
        .await?;
    if attempt.rows_affected != 1 || !code_matches(&latest.code_hash, phone, purpose, code) {
        return Err(DomainError::InvalidCredentials);
    }
    // Spend the code; a concurrent use of the same code loses this race.
    let spent = login_code::Entity::update_many()
        .col_expr(login_code::Column::UsedAt, Expr::value(now))
        .filter(login_code::Column::Id.eq(latest.id))
        .filter(login_code::Column::UsedAt.is_null())
        .exec(&s.db)
        .await?;
    if spent.rows_affected != 1 {
        return Err(DomainError::InvalidCredentials);
    }
    Ok(())
}

/// Wrong tries a code survives.
pub const MAX_CODE_ATTEMPTS: i32 = 5;

/// Logs in with the latest unused code sent to `phone`. Five wrong tries
/// spend the code. With `new_password` (someone who forgot theirs), the
/// password is reset as well and every other session of the account ends.
pub async fn login_with_code(
    s: &Services,
    client_ip: &str,
    phone: &str,
    code: &str,
    new_password: Option<&str>,
) -> DomainResult<(String, Principal)> {
    s.hit(Bucket::LoginIp, client_ip).await?;
    let new_hash = match new_password.filter(|p| !p.is_empty()) {
        Some(p) => Some(Password::parse(p)?.hash().await?),
        None => None,
    };
    let phone = PhoneNumber::parse(phone).map_err(|_| DomainError::InvalidCredentials)?;
    // Wrong codes are bounded per code (five tries), not by a lock on the
    // account, so code login stays open to the owner.
    redeem_code(s, &phone, CodePurpose::Login, code).await?;
    let acct = find_by_phone(&s.db, &phone)
        .await?
        .filter(|a| !a.disabled)
        .ok_or(DomainError::InvalidCredentials)?;
    if acct.phone_verified_at.is_none() {
        account::Entity::update_many()
            .col_expr(account::Column::PhoneVerifiedAt, Expr::value(clock::now()))
            .filter(account::Column::Id.eq(acct.id))
            .exec(&s.db)
            .await?;
    }
    if let Some(hash) = new_hash {
        set_password_hash(s, acct.id, &hash, None, "account.password_reset").await?;
    }
    let token = create_session(s, acct.id).await?;
    let p = principal_of(&s.db, acct).await?;
    Ok((token, p))
}

/// The principal behind a session token, if the session is live.
///
/// Every signed-in request asks this, so it is one query: the session, its
/// account and the account's grants joined (one row per grant).
pub async fn principal_for_token(s: &Services, token: &str) -> DomainResult<Option<Principal>> {
    use sea_orm::{DbBackend, Statement};
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let backend = s.db.get_database_backend();
    let sql = format!(
        "SELECT s.expires_at, a.id, a.display_name, a.phone, a.community_id, a.disabled, \
                g.role, g.scope_kind, g.scope_id \
         FROM session s JOIN account a ON a.id = s.account_id \
         LEFT JOIN role_grant g ON g.account_id = a.id \
         WHERE s.id = {} ORDER BY g.id",
        if backend == DbBackend::Postgres {
            "$1"
        } else {
            "?"
        }
    );
    let rows =
        s.db.query_all_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [sha256_hex(token).into()],
        ))
        .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let expires_at: chrono::DateTime<chrono::Utc> = first.try_get("", "expires_at")?;
    if expires_at <= clock::now() || first.try_get::<bool>("", "disabled")? {
        return Ok(None);
    }
    let mut grants = Vec::new();
    for row in &rows {
        let Some(role) = row.try_get::<Option<String>>("", "role")? else {
            continue;
        };
        let kind: String = row.try_get("", "scope_kind")?;
        grants.extend(grant_from(&role, &kind, row.try_get("", "scope_id")?));
    }
    Ok(Some(Principal {
        account_id: first.try_get("", "id")?,
        display_name: first.try_get("", "display_name")?,
        phone: first.try_get("", "phone")?,
        community_id: first.try_get("", "community_id")?,
        grants,
    }))
}

/// Stores a new password hash and ends every session of the account but
/// `keep` (the one making the change, if any), in one transaction, audited.
async fn set_password_hash(
    s: &Services,
    account_id: i64,
    hash: &str,
    keep: Option<&str>,
    action: &str,
) -> DomainResult<()> {
    let (_gate, txn) = s.begin_write().await?;
    account::Entity::update_many()
        .col_expr(account::Column::PasswordHash, Expr::value(hash))
        .filter(account::Column::Id.eq(account_id))
        .exec(&txn)
        .await?;
    let mut end = session::Entity::delete_many().filter(session::Column::AccountId.eq(account_id));
    if let Some(token) = keep {
        end = end.filter(session::Column::Id.ne(sha256_hex(token)));
    }
    let ended = end.exec(&txn).await?.rows_affected;
    audit::append(
        &txn,
        Some(account_id),
        action,
        &format!("account:{account_id}"),
        serde_json::json!({ "sessions_ended": ended }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A signed-in person changes their password: the current one must be
/// right; every other session of the account ends (a phone left logged in
/// somewhere is logged out).
pub async fn change_password(
    s: &Services,
    actor: &Principal,
    session_token: &str,
    current: &str,
    new: &str,
) -> DomainResult<()> {
    let pair = format!("{}|change", actor.account_id);
    s.hit(Bucket::LoginAccount, &pair).await?;
    let new = Password::parse(new)?;
    let acct = account::Entity::find_by_id(actor.account_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::Unauthenticated)?;
    if current.len() > 1024 || !password::verify(current.to_owned(), acct.password_hash).await {
        return Err(DomainError::validation("current_password", "wrong"));
    }
    s.refund(Bucket::LoginAccount, &pair).await;
    let hash = new.hash().await?;
    set_password_hash(
        s,
        actor.account_id,
        &hash,
        Some(session_token),
        "account.password_changed",
    )
    .await
}

pub async fn logout(s: &Services, token: &str) -> DomainResult<()> {
    session::Entity::delete_by_id(sha256_hex(token))
        .exec(&s.db)
        .await?;
    Ok(())
}

async fn grants_of<C: ConnectionTrait>(
    conn: &C,
    account_id: i64,
) -> DomainResult<Vec<(i64, Grant)>> {
    let rows = role_grant::Entity::find()
        .filter(role_grant::Column::AccountId.eq(account_id))
        .order_by_asc(role_grant::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|g| Some((g.id, grant_from(&g.role, &g.scope_kind, g.scope_id)?)))
        .collect())
}

/// A stored grant's columns as a [`Grant`]; `None` for values this version
/// does not know (skipped rather than failing the whole account).
fn grant_from(role: &str, scope_kind: &str, scope_id: i64) -> Option<Grant> {
    Some(Grant {
        role: Role::parse(role).ok()?,
        scope: Scope::from_parts(scope_kind, scope_id).ok()?,
    })
}

/// The principal of an account as it is now (for work done later on its
/// behalf, such as a queued import); `None` if gone or disabled.
pub async fn principal_by_id(s: &Services, id: i64) -> DomainResult<Option<Principal>> {
    match account::Entity::find_by_id(id).one(&s.db).await? {
        Some(a) if !a.disabled => Ok(Some(principal_of(&s.db, a).await?)),
        _ => Ok(None),
    }
}

async fn principal_of<C: ConnectionTrait>(conn: &C, a: account::Model) -> DomainResult<Principal> {
    let grants = grants_of(conn, a.id)
        .await?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    Ok(Principal {
        account_id: a.id,
        display_name: a.display_name,
        phone: a.phone,
        community_id: a.community_id,
        grants,
    })
}

/// A grant as the admin page lists it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct GrantInfo {
    pub id: i64,
    pub grant: Grant,
    /// The scope's readable name (empty for global grants).
    pub scope_label: String,
}

/// An account as a viewer may see it: the phone number masked unless the
/// viewer is the account itself or authorised staff.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AccountInfo {
    pub id: i64,
    pub display_name: String,
    pub phone: String,
    pub community_id: Option<i64>,
    pub community_name: Option<String>,
    pub disabled: bool,
    pub grants: Vec<GrantInfo>,
}

/// Accounts for the admin page, optionally filtered by name or phone, newest first.
pub async fn list_accounts(
    s: &Services,
    actor: &Principal,
    query: &str,
    limit: u64,
) -> DomainResult<Vec<AccountInfo>> {
    actor.require_admin()?;
    let mut find = account::Entity::find().order_by_desc(account::Column::Id);
    let q = query.trim();
    if !q.is_empty() {
        find = find.filter(
            Condition::any()
                .add(crate::db::contains(account::Column::DisplayName, q))
                .add(crate::db::contains(account::Column::Phone, q)),
        );
    }
    let rows = find.limit(limit.clamp(1, 200)).all(&s.db).await?;
    let communities = community::Entity::find().all(&s.db).await?;
    let scopes = org::scope_options(&s.db).await?;
    let ids: Vec<i64> = rows.iter().map(|a| a.id).collect();
    let grants = role_grant::Entity::find()
        .filter(role_grant::Column::AccountId.is_in(ids))
        .order_by_asc(role_grant::Column::Id)
        .all(&s.db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|a| {
            let phone = if actor.may_see_phone_of(a.id, a.community_id) {
                a.phone.clone()
            } else {
                mask_phone(&a.phone)
            };
            AccountInfo {
                id: a.id,
                community_name: communities
                    .iter()
                    .find(|c| Some(c.id) == a.community_id)
                    .map(|c| c.name.clone()),
                display_name: a.display_name,
                phone,
                community_id: a.community_id,
                disabled: a.disabled,
                grants: grants
                    .iter()
                    .filter(|g| g.account_id == a.id)
                    .filter_map(|g| {
                        let scope = Scope::from_parts(&g.scope_kind, g.scope_id).ok()?;
                        Some(GrantInfo {
                            id: g.id,
                            grant: Grant {
                                role: Role::parse(&g.role).ok()?,
                                scope,
                            },
                            scope_label: scopes
                                .iter()
                                .find(|o| o.scope == scope)
                                .map(|o| o.label.clone())
                                .unwrap_or_default(),
                        })
                    })
                    .collect(),
            }
        })
        .collect())
}

/// Checks that `scope` fits `role` and names something that exists.
async fn check_scope<C: ConnectionTrait>(conn: &C, role: Role, scope: Scope) -> DomainResult<()> {
    if role.scope_kind() != scope.kind() {
        return Err(DomainError::validation("scope", "wrong_kind"));
    }
    let exists = match scope {
        Scope::Community(id) => org::community_exists(conn, id).await?,
        Scope::Street(id) => org::street_exists(conn, id).await?,
        Scope::Compound(id) => org::compound_exists(conn, id).await?,
        Scope::Building(id) => org::building_exists(conn, id).await?,
        Scope::Global => true,
    };
    if exists {
        Ok(())
    } else {
        Err(DomainError::validation("scope", "not_found"))
    }
}

/// Gives `account_id` the grant unless it holds it already (inside the
/// caller's transaction). The insert skips a grant that exists, even one an
/// admin gave a moment ago, so PostgreSQL's transaction is never broken by a
/// unique violation. Whether it was added.
pub(crate) async fn ensure_grant<C: ConnectionTrait>(
    conn: &C,
    account_id: i64,
    grant: Grant,
    granted_by: Option<i64>,
) -> DomainResult<bool> {
    let added = role_grant::Entity::insert(grant_row(account_id, grant, granted_by))
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                role_grant::Column::AccountId,
                role_grant::Column::Role,
                role_grant::Column::ScopeKind,
                role_grant::Column::ScopeId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(added > 0)
}

/// An admin grants a role (audited).
pub async fn grant_role(
    s: &Services,
    actor: &Principal,
    account_id: i64,
    grant: Grant,
) -> DomainResult<i64> {
    actor.require_admin()?;
    check_scope(&s.db, grant.role, grant.scope).await?;
    let (_gate, txn) = s.begin_write().await?;
    if account::Entity::find_by_id(account_id)
        .one(&txn)
        .await?
        .is_none()
    {
        return Err(DomainError::NotFound);
    }
    let id = insert_grant(&txn, account_id, grant, Some(actor.account_id)).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "role.grant",
        &format!("account:{account_id}"),
        serde_json::json!({ "grant_id": id, "role": grant.role, "scope": grant.scope }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// An admin revokes a grant (audited). An admin cannot revoke their own admin
/// grant, so the system is never left without one by accident.
pub async fn revoke_role(s: &Services, actor: &Principal, grant_id: i64) -> DomainResult<()> {
    actor.require_admin()?;
    let (_gate, txn) = s.begin_write().await?;
    let g = role_grant::Entity::find_by_id(grant_id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    if g.account_id == actor.account_id && g.role == Role::Admin.as_str() {
        return Err(DomainError::Conflict("own_admin"));
    }
    role_grant::Entity::delete_by_id(grant_id)
        .exec(&txn)
        .await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "role.revoke",
        &format!("account:{}", g.account_id),
        serde_json::json!({ "grant_id": g.id, "role": g.role, "scope_kind": g.scope_kind, "scope_id": g.scope_id }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Creates (or, with the same phone, updates) an account with the given
/// grants — for the `create-admin` and `seed-demo` commands. Audited with no
/// actor (the system).
pub async fn provision_account(
    s: &Services,
    phone: &str,
    password: &str,
    display_name: &str,
    community_id: Option<i64>,
    grants: &[Grant],
) -> DomainResult<i64> {
    let phone = PhoneNumber::parse(phone)?;
    let name = parse_display_name(display_name)?;
    let hash = Password::parse(password)?.hash().await?;
    for g in grants {
        check_scope(&s.db, g.role, g.scope).await?;
    }
    let (_gate, txn) = s.begin_write().await?;
    let id = match find_by_phone(&txn, &phone).await? {
        Some(a) => {
            let mut am: account::ActiveModel = a.into();
            am.password_hash = Set(Some(hash));
            am.display_name = Set(name);
            am.disabled = Set(false);
            am.update(&txn).await?.id
        }
        None => insert_account(&txn, &phone, &name, Some(hash), community_id).await?,
    };
    let existing: Vec<Grant> = grants_of(&txn, id)
        .await?
        .into_iter()
        .map(|(_, g)| g)
        .collect();
    for g in grants.iter().filter(|g| !existing.contains(g)) {
        insert_grant(&txn, id, *g, None).await?;
    }
    audit::append(
        &txn,
        None,
        "account.provision",
        &format!("account:{id}"),
        serde_json::json!({ "grants": grants }),
    )
    .await?;
    txn.commit().await?;
    Ok(id)
}

/// Deletes expired sessions and spent or expired login codes. Returns how
/// many rows went.
pub async fn purge_expired(s: &Services) -> DomainResult<u64> {
    let conn = &s.db;
    let now = clock::now();
    let sessions = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(conn)
        .await?;
    let codes = login_code::Entity::delete_many()
        .filter(
            Condition::any()
                .add(login_code::Column::ExpiresAt.lte(now))
                .add(login_code::Column::UsedAt.is_not_null()),
        )
        .exec(conn)
        .await?;
    Ok(sessions.rows_affected + codes.rows_affected)
}
