//! 组织 street → community → compound.
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::entities::{community, compound, street};
use crate::error::DomainResult;

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CommunityInfo {
    pub id: i64,
    pub name: String,
    pub street_id: i64,
    pub street_name: String,
}

/// Every community with its street, for pickers (public information).
pub async fn communities<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<CommunityInfo>> {
    let streets = street::Entity::find().all(conn).await?;
    let rows = community::Entity::find()
        .order_by_asc(community::Column::StreetId)
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|c| CommunityInfo {
            street_name: streets
                .iter()
                .find(|s| s.id == c.street_id)
                .map(|s| s.name.clone())
                .unwrap_or_default(),
            id: c.id,
            name: c.name,
            street_id: c.street_id,
        })
        .collect())
}

pub async fn community_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(community::Entity::find_by_id(id).one(conn).await?.is_some())
}

pub async fn street_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(street::Entity::find_by_id(id).one(conn).await?.is_some())
}

pub async fn compound_exists<C: ConnectionTrait>(conn: &C, id: i64) -> DomainResult<bool> {
    Ok(compound::Entity::find_by_id(id).one(conn).await?.is_some())
}

pub async fn find_or_create_street<C: ConnectionTrait>(conn: &C, name: &str) -> DomainResult<i64> {
    if let Some(s) = street::Entity::find()
        .filter(street::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(s.id);
    }
    let s = street::ActiveModel {
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(s.id)
}

pub async fn find_or_create_community<C: ConnectionTrait>(
    conn: &C,
    street_id: i64,
    name: &str,
) -> DomainResult<i64> {
    if let Some(c) = community::Entity::find()
        .filter(community::Column::StreetId.eq(street_id))
        .filter(community::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(c.id);
    }
    let c = community::ActiveModel {
        street_id: Set(street_id),
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(c.id)
}

pub async fn find_or_create_compound<C: ConnectionTrait>(
    conn: &C,
    community_id: i64,
    name: &str,
) -> DomainResult<i64> {
    if let Some(c) = compound::Entity::find()
        .filter(compound::Column::CommunityId.eq(community_id))
        .filter(compound::Column::Name.eq(name))
        .one(conn)
        .await?
    {
        return Ok(c.id);
    }
    let c = compound::ActiveModel {
        community_id: Set(community_id),
        name: Set(name.to_owned()),
        created_at: Set(crate::clock::now()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    Ok(c.id)
}

/// Something a role can be scoped to, with a readable name.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ScopeOption {
    pub scope: crate::Scope,
    /// e.g. `小河街道 · 长乐社区 · 长乐苑`
    pub label: String,
}

/// Every street, community and compound, for pickers, in that order.
pub async fn scope_options<C: ConnectionTrait>(conn: &C) -> DomainResult<Vec<ScopeOption>> {
    use crate::Scope;
    let streets = street::Entity::find()
        .order_by_asc(street::Column::Id)
        .all(conn)
        .await?;
    let communities = community::Entity::find()
        .order_by_asc(community::Column::Id)
        .all(conn)
        .await?;
    let compounds = compound::Entity::find()
        .order_by_asc(compound::Column::Id)
        .all(conn)
        .await?;
    let street_name = |id: i64| {
        streets
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.as_str())
            .unwrap_or("")
    };
    let community_label = |id: i64| {
        communities
            .iter()
            .find(|c| c.id == id)
            .map(|c| format!("{} · {}", street_name(c.street_id), c.name))
            .unwrap_or_default()
    };
    let mut out: Vec<ScopeOption> = streets
        .iter()
        .map(|s| ScopeOption {
            scope: Scope::Street(s.id),
            label: s.name.clone(),
        })
        .collect();
    out.extend(communities.iter().map(|c| ScopeOption {
        scope: Scope::Community(c.id),
        label: community_label(c.id),
    }));
    out.extend(compounds.iter().map(|c| ScopeOption {
        scope: Scope::Compound(c.id),
        label: format!("{} · {}", community_label(c.community_id), c.name),
    }));
    Ok(out)
}

/// The scope picker of the admin page (admins only).
pub async fn scopes_for_granting(
    s: &crate::Services,
    actor: &crate::Principal,
) -> DomainResult<Vec<ScopeOption>> {
    actor.require_admin()?;
    scope_options(&s.db).await
}
