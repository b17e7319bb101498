//! 词典管理 the lexicon admins extend at run time: dictionary words, synonyms
//! (variant → canonical) and stop words, on top of the shipped files in
//! `nlp/data/`. Each change is audited and raises `ref_version` row 3 in
//! its transaction; every instance rebuilds its analyser when it sees the
//! number move (see `agenda::analyzer`). Opinions published afterwards are
//! analysed with the new lexicon; `hongcha heat recompute --reanalyse`
//! applies it to all, after refreshing the IDF from the community's own
//! corpus ([`refresh_idf`]).
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set, Statement,
};
use serde::Serialize;

use super::entities::{nlp_idf, nlp_term};
use crate::error::{DomainError, DomainResult};
use crate::{Principal, Services, audit, clock};

/// Most entries admins may add (all kinds together).
pub const MAX_TERMS: u64 = 5_000;

pub(crate) async fn version<C: ConnectionTrait>(conn: &C) -> DomainResult<i64> {
    let row = conn
        .query_one_raw(Statement::from_string(
            conn.get_database_backend(),
            "SELECT version FROM ref_version WHERE id = 3".to_owned(),
        ))
        .await?
        .ok_or_else(|| DomainError::Internal("ref_version row 3 missing".into()))?;
    Ok(row.try_get("", "version")?)
}

async fn bump<C: ConnectionTrait>(conn: &C) -> DomainResult<()> {
    conn.execute_raw(Statement::from_string(
        conn.get_database_backend(),
        "UPDATE ref_version SET version = version + 1 WHERE id = 3".to_owned(),
    ))
    .await?;
    Ok(())
}

/// The shipped lexicon plus every admin entry, oldest first.
pub(crate) async fn current<C: ConnectionTrait>(conn: &C) -> DomainResult<nlp::Lexicon> {
    let mut lex = nlp::Lexicon::shipped();
    for t in nlp_term::Entity::find()
        .order_by_asc(nlp_term::Column::Id)
        .all(conn)
        .await?
    {
        if let Some(kind) = nlp::TermKind::parse(&t.kind) {
            lex.add(kind, &t.term, t.canonical.as_deref());
        }
    }
    Ok(lex)
}

/// The IDF values refreshed from the corpus (see [`refresh_idf`]).
pub(crate) async fn idf_overrides<C: ConnectionTrait>(
    conn: &C,
) -> DomainResult<Vec<(String, f64)>> {
    Ok(nlp_idf::Entity::find()
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.term, r.idf))
        .collect())
}

/// Least published opinions before the corpus may refresh the IDF.
pub const REFRESH_MIN_DOCS: usize = 200;

/// Refreshes the IDF from the community's own corpus: every published
/// opinion's distinct words counted (on every core), blended into the
/// shipped IDF (`nlp::Idf::refreshed`), the changed values stored and the
/// version raised so every instance rebuilds its analyser. Returns how many
/// opinions were read and how many terms changed; nothing changes below
/// [`REFRESH_MIN_DOCS`] opinions.
pub(crate) async fn refresh_idf(s: &Services) -> DomainResult<(usize, usize)> {
    use sea_orm::QuerySelect;

    use crate::entities::opinion;
    let texts: Vec<(String, String)> = opinion::Entity::find()
        .select_only()
        .column(opinion::Column::TitlePublic)
        .column(opinion::Column::BodyPublic)
        .filter(opinion::Column::Status.eq(crate::opinions::status::PUBLISHED))
        .into_tuple()
        .all(&s.db)
        .await?;
    let docs = texts.len();
    if docs < REFRESH_MIN_DOCS {
        return Ok((docs, 0));
    }
    let current = std::sync::Arc::new(super::analyzer(s).await?);
    let changed: Vec<(String, f64)> = tokio::task::spawn_blocking(move || {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let part = texts.len().div_ceil(threads).max(1);
        let counts: Vec<std::collections::HashMap<String, u32>> = std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(part)
                .map(|chunk| {
                    let a = &current;
                    scope.spawn(move || {
                        let mut df = std::collections::HashMap::new();
                        for (t, b) in chunk {
                            let mut words = a.get().words(&format!("{t} {b}"));
                            words.retain(|w| w.chars().count() >= 2);
                            words.sort_unstable();
                            words.dedup();
                            for w in words {
                                *df.entry(w).or_insert(0u32) += 1;
                            }
                        }
                        df
                    })
                })
                .collect();
            handles.into_iter().filter_map(|h| h.join().ok()).collect()
        });
        let mut df: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
        for c in counts {
            for (w, n) in c {
                *df.entry(w).or_insert(0) += n;
            }
        }
        let base = nlp::Idf::shipped();
        let fresh = base.refreshed(&df, docs as u32);
        base.changed_in(&fresh)
            .into_iter()
            .filter(|(t, _)| t.chars().count() <= 32)
            .map(|(t, v)| (t.to_owned(), v))
            .collect()
    })
    .await
    .map_err(|e| DomainError::Internal(format!("refreshing the IDF: {e}")))?;
    let (_gate, txn) = s.begin_write().await?;
    nlp_idf::Entity::delete_many().exec(&txn).await?;
    for chunk in changed.chunks(1_000) {
        nlp_idf::Entity::insert_many(chunk.iter().map(|(t, v)| nlp_idf::ActiveModel {
            term: Set(t.clone()),
            idf: Set(*v),
        }))
        .exec_without_returning(&txn)
        .await?;
    }
    bump(&txn).await?;
    audit::append(
        &txn,
        None,
        "lexicon.idf_refresh",
        "nlp_idf",
        serde_json::json!({ "opinions": docs, "terms": changed.len() }),
    )
    .await?;
    txn.commit().await?;
    Ok((docs, changed.len()))
}

/// An admin's lexicon entry.
#[derive(Clone, Debug, Serialize)]
pub struct Term {
    pub id: i64,
    pub kind: String,
    pub term: String,
    pub canonical: Option<String>,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// Every admin entry, newest first. Admins only.
pub async fn terms(s: &Services, actor: &Principal) -> DomainResult<Vec<Term>> {
    actor.require_admin()?;
    Ok(nlp_term::Entity::find()
        .order_by_desc(nlp_term::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|t| Term {
            id: t.id,
            kind: t.kind,
            term: t.term,
            canonical: t.canonical,
            created_at: t.created_at,
        })
        .collect())
}

fn term_error(field: &'static str, e: nlp::lexicon::TermError) -> DomainError {
    use nlp::lexicon::TermError::*;
    DomainError::validation(
        field,
        match e {
            Empty => "required",
            TooLong => "too_long",
            NotOneWord => "not_one_word",
            SameAsCanonical => "same_as_canonical",
        },
    )
}

/// An admin adds a word, a synonym (`canonical` required) or a stop word.
/// The same kind and term twice is refused. Audited.
pub async fn add_term(
    s: &Services,
    actor: &Principal,
    kind: &str,
    term: &str,
    canonical: Option<&str>,
) -> DomainResult<i64> {
    actor.require_admin()?;
    let kind = nlp::TermKind::parse(kind).ok_or(DomainError::validation("kind", "invalid"))?;
    let term = nlp::lexicon::check_term(term).map_err(|e| term_error("term", e))?;
    let canonical = match (kind, canonical.map(str::trim).filter(|c| !c.is_empty())) {
        (nlp::TermKind::Synonym, Some(c)) => {
            let c = nlp::lexicon::check_term(c).map_err(|e| term_error("canonical", e))?;
            if c == term {
                return Err(term_error(
                    "canonical",
                    nlp::lexicon::TermError::SameAsCanonical,
                ));
            }
            Some(c)
        }
        (nlp::TermKind::Synonym, None) => {
            return Err(DomainError::validation("canonical", "required"));
        }
        _ => None,
    };
    let (_gate, txn) = s.begin_write().await?;
    let count = nlp_term::Entity::find().count(&txn).await?;
    if count >= MAX_TERMS {
        return Err(DomainError::validation("term", "too_many"));
    }
    let exists = nlp_term::Entity::find()
        .filter(nlp_term::Column::Kind.eq(kind.as_str()))
        .filter(nlp_term::Column::Term.eq(term.as_str()))
        .one(&txn)
        .await?
        .is_some();
    if exists {
        return Err(DomainError::Conflict("term_exists"));
    }
    let row = nlp_term::ActiveModel {
        kind: Set(kind.as_str().to_owned()),
        term: Set(term.clone()),
        canonical: Set(canonical.clone()),
        created_by: Set(Some(actor.account_id)),
        created_at: Set(clock::now()),
        ..Default::default()
    }
    .insert(&txn)
    .await?;
    bump(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "lexicon.add",
        &format!("nlp_term:{}", row.id),
        serde_json::json!({ "kind": kind.as_str(), "term": term, "canonical": canonical }),
    )
    .await?;
    txn.commit().await?;
    Ok(row.id)
}

/// An admin removes one of the entries admins added. Audited.
pub async fn remove_term(s: &Services, actor: &Principal, id: i64) -> DomainResult<()> {
    actor.require_admin()?;
    let (_gate, txn) = s.begin_write().await?;
    let row = nlp_term::Entity::find_by_id(id)
        .one(&txn)
        .await?
        .ok_or(DomainError::NotFound)?;
    nlp_term::Entity::delete_by_id(id).exec(&txn).await?;
    bump(&txn).await?;
    audit::append(
        &txn,
        Some(actor.account_id),
        "lexicon.remove",
        &format!("nlp_term:{id}"),
        serde_json::json!({ "kind": row.kind, "term": row.term, "canonical": row.canonical }),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// How the current lexicon reads a text (admins try a change out).
pub async fn preview(s: &Services, actor: &Principal, text: &str) -> DomainResult<Vec<String>> {
    actor.require_admin()?;
    if text.chars().count() > 2_000 {
        return Err(DomainError::validation("text", "too_long"));
    }
    let current = super::analyzer(s).await?;
    Ok(current.get().words(text))
}
