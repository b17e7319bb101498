//! 类别 opinion categories. The four of the 红茶议事会 intake form come with
//! the schema; an admin can rename them, add more, reorder them or retire
//! one (old opinions keep it; new ones cannot choose it).
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, QueryOrder, Set};
use serde::Serialize;

use crate::accounts::Principal;
use crate::entities::category;
use crate::error::{DomainError, DomainResult};
use crate::{Services, audit};

/// What crawled items and blank import cells get. Cannot be retired.
pub const FALLBACK: &str = "other";

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CategoryInfo {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort: i32,
    pub active: bool,
}

impl From<category::Model> for CategoryInfo {
    fn from(m: category::Model) -> Self {
        Self {
            code: m.code,
            name_zh: m.name_zh,
            name_en: m.name_en,
            sort: m.sort,
            active: m.active,
        }
    }
}

/// All categories in display order; retired ones only when asked.
pub async fn list(s: &Services, include_retired: bool) -> DomainResult<Vec<CategoryInfo>> {
    let all = crate::refdata::get(s).await?.categories;
    Ok(all
        .iter()
        .filter(|c| include_retired || c.active)
        .cloned()
        .collect())
}

/// The categories a viewer may list: retired ones only for admins.
pub async fn list_for(
    s: &Services,
    viewer: Option<&Principal>,
    include_retired: bool,
) -> DomainResult<Vec<CategoryInfo>> {
    if include_retired {
        viewer
            .ok_or(DomainError::Unauthenticated)?
            .require_admin()?;
    }
    list(s, include_retired).await
}

pub(crate) async fn list_in<C: ConnectionTrait>(
    conn: &C,
    include_retired: bool,
) -> DomainResult<Vec<CategoryInfo>> {
    Ok(category::Entity::find()
        .order_by_asc(category::Column::Sort)
        .order_by_asc(category::Column::Code)
        .all(conn)
        .await?
        .into_iter()
        .filter(|c| include_retired || c.active)
        .map(CategoryInfo::from)
        .collect())
}

/// The code of an active category named by its code or its Chinese or
/// English name (as typed on paper forms and hotline exports).
pub fn resolve(active: &[CategoryInfo], raw: &str) -> Option<String> {
    let r = raw.trim();
    if r.is_empty() {
        return None;
    }
    let alias = match r {
        "其它" => "其他",
        other => other,
    };
    active
        .iter()
        .filter(|c| c.active)
        .find(|c| c.code == r || c.name_zh == alias || c.name_en.eq_ignore_ascii_case(r))
        .map(|c| c.code.clone())
}

pub struct CategoryInput {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub sort: i32,
    pub active: bool,
}

pub(crate) fn valid_code(code: &str) -> bool {
    (2..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn valid_name(name: &str, max: usize) -> bool {
    let n = name.chars().count();
    n >= 1 && n <= max && !name.chars().any(char::is_control)
}

/// An admin adds a category or changes one (names, order, retired). Audited.
pub async fn save(s: &Services, actor: &Principal, input: CategoryInput) -> DomainResult<()> {
    actor.require_admin()?;
    let code = input.code.trim().to_owned();
    let name_zh = input.name_zh.trim().to_owned();
    let name_en = input.name_en.trim().to_owned();
    if !valid_code(&code) {
        return Err(DomainError::validation("code", "invalid"));
    }
    if !valid_name(&name_zh, 16) {
        return Err(DomainError::validation("name_zh", "invalid"));
    }
    if !valid_name(&name_en, 32) {
        return Err(DomainError::validation("name_en", "invalid"));
    }
    if !(-9999..=9999).contains(&input.sort) {
        return Err(DomainError::validation("sort", "invalid"));
    }
    if code == FALLBACK && !input.active {
        return Err(DomainError::Conflict("category_fallback"));
    }
    let (_gate, txn) = s.begin_write().await?;
    let existing = category::Entity::find_by_id(code.as_str())
        .one(&txn)
        .await?;
    let am = category::ActiveModel {
        code: Set(code.clone()),
        name_zh: Set(name_zh.clone()),
        name_en: Set(name_en.clone()),
        sort: Set(input.sort),
        active: Set(input.active),
    };
    if existing.is_some() {
        am.update(&txn).await?;
    } else {
        am.insert(&txn).await?;
    }
    audit::append(
        &txn,
        Some(actor.account_id),
        if existing.is_some() {
            "category.update"
        } else {
            "category.create"
        },
        &format!("category:{code}"),
        serde_json::json!({ "name_zh": name_zh, "name_en": name_en, "sort": input.sort, "active": input.active }),
    )
    .await?;
    crate::refdata::changed(&txn).await?;
    txn.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(code: &str, zh: &str, en: &str, active: bool) -> CategoryInfo {
        CategoryInfo {
            code: code.into(),
            name_zh: zh.into(),
            name_en: en.into(),
            sort: 0,
            active,
        }
    }

    #[test]
    fn resolves_codes_and_names_of_active_categories_only() {
        let all = vec![
            cat("public_safety", "公共安全", "Public safety", true),
            cat("other", "其他", "Other", true),
            cat("old", "旧类别", "Old", false),
        ];
        assert_eq!(resolve(&all, "公共安全").as_deref(), Some("public_safety"));
        assert_eq!(
            resolve(&all, " public_safety ").as_deref(),
            Some("public_safety")
        );
        assert_eq!(
            resolve(&all, "public SAFETY").as_deref(),
            Some("public_safety")
        );
        assert_eq!(resolve(&all, "其它").as_deref(), Some("other"));
        assert_eq!(resolve(&all, "旧类别"), None);
        assert_eq!(resolve(&all, "水电"), None);
        assert_eq!(resolve(&all, ""), None);
    }

    #[test]
    fn codes_are_plain_ascii_words() {
        assert!(valid_code("parking_2"));
        assert!(!valid_code("a"));
        assert!(!valid_code("Parking"));
        assert!(!valid_code("停车"));
        assert!(!valid_code("drop table"));
    }
}
