//! 照片 photos on opinions. The author adds up to [`MAX_PHOTOS`] while the
//! opinion waits for moderation; each is checked by its bytes (JPEG, PNG or
//! WebP, at most [`MAX_BYTES`]), stripped of its metadata (EXIF carries the
//! phone's GPS position and serial number) and stored under the data
//! directory. A photo is shown to whoever may see its opinion.
use std::path::PathBuf;

use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde::Serialize;

use crate::accounts::Principal;
use crate::entities::{opinion, opinion_photo};
use crate::error::{DomainError, DomainResult};
use crate::opinions::status;
use crate::{Services, clock};

pub const MAX_PHOTOS: u64 = 4;
pub const MAX_BYTES: usize = 5 * 1024 * 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    Webp,
}

impl Kind {
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Jpeg => "image/jpeg",
            Kind::Png => "image/png",
            Kind::Webp => "image/webp",
        }
    }

    fn ext(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpg",
            Kind::Png => "png",
            Kind::Webp => "webp",
        }
    }
}

/// What the bytes are, whatever the file is called.
pub fn sniff(b: &[u8]) -> Option<Kind> {
    if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if b.len() >= 12 && &b[0..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Some(Kind::Webp)
    } else {
        None
    }
}

/// The image without its metadata (JPEG APP1/APP13 and comments, PNG text
/// and eXIf chunks, WebP EXIF/XMP chunks). `None` when the structure is broken.
pub fn strip_metadata(kind: Kind, b: &[u8]) -> Option<Vec<u8>> {
    match kind {
        Kind::Jpeg => strip_jpeg(b),
        Kind::Png => strip_png(b),
        Kind::Webp => strip_webp(b),
    }
}

fn strip_jpeg(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..2]);
    let mut i = 2;
    loop {
        if i + 4 > b.len() || b[i] != 0xFF {
            return None;
        }
        let marker = b[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        if marker == 0xDA {
            // Start of scan: the rest is image data.
            out.extend_from_slice(&b[i..]);
            return Some(out);
        }
        let len = u16::from_be_bytes([b[i + 2], b[i + 3]]) as usize;
        if len < 2 || i + 2 + len > b.len() {
            return None;
        }
        // APP1 (EXIF, XMP), APP13 (IPTC), COM (comments) go.
        if !matches!(marker, 0xE1 | 0xED | 0xFE) {
            out.extend_from_slice(&b[i..i + 2 + len]);
        }
        i += 2 + len;
    }
}

fn strip_png(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..8]);
    let mut i = 8;
    while i < b.len() {
        if i + 12 > b.len() {
            return None;
        }
        let len = u32::from_be_bytes(b[i..i + 4].try_into().ok()?) as usize;
        let end = i.checked_add(12)?.checked_add(len)?;
        if end > b.len() {
            return None;
        }
        let kind = &b[i + 4..i + 8];
        if !matches!(kind, b"eXIf" | b"tEXt" | b"iTXt" | b"zTXt" | b"tIME") {
            out.extend_from_slice(&b[i..end]);
        }
        if kind == b"IEND" {
            return Some(out);
        }
        i = end;
    }
    None
}

fn strip_webp(b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&b[..12]);
    let mut i = 12;
    while i < b.len() {
        if i + 8 > b.len() {
            return None;
        }
        let len = u32::from_le_bytes(b[i + 4..i + 8].try_into().ok()?) as usize;
        let end = i.checked_add(8)?.checked_add(len + (len & 1))?;
        if end > b.len() {
            return None;
        }
        let kind = &b[i..i + 4];
        if kind == b"VP8X" && len >= 1 {
            // Clear the "has EXIF" and "has XMP" flags along with the chunks.
            let mut chunk = b[i..end].to_vec();
            chunk[8] &= !0x0C;
            out.extend_from_slice(&chunk);
        } else if !matches!(kind, b"EXIF" | b"XMP ") {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
    }
    let size = u32::try_from(out.len() - 8).ok()?;
    out[4..8].copy_from_slice(&size.to_le_bytes());
    Some(out)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhotoInfo {
    pub id: i64,
    pub content_type: String,
    pub size: i64,
}

/// The author adds photos to their opinion while it waits for moderation:
/// every file is checked first, then all are stored, or none.
/// Checks, before any upload is read, that `actor` may add photos to the
/// opinion now (its author, while it waits, with room left) and spends one
/// of the actor's uploads (`upload_per_account` an hour).
pub async fn may_attach(s: &Services, actor: &Principal, opinion_id: i64) -> DomainResult<()> {
    let op = opinion::Entity::find_by_id(opinion_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if op.author_id != Some(actor.account_id) {
        return Err(DomainError::Forbidden);
    }
    if op.status != status::PENDING {
        return Err(DomainError::Conflict("not_pending"));
    }
    let count = opinion_photo::Entity::find()
        .filter(opinion_photo::Column::OpinionId.eq(opinion_id))
        .count(&s.db)
        .await?;
    if count >= MAX_PHOTOS {
        return Err(DomainError::Conflict("too_many_photos"));
    }
    s.limiter.hit(
        crate::ratelimit::Bucket::UploadAccount,
        &actor.account_id.to_string(),
    )
}

pub async fn attach(
    s: &Services,
    actor: &Principal,
    opinion_id: i64,
    files: &[Vec<u8>],
) -> DomainResult<Vec<PhotoInfo>> {
    if files.is_empty() {
        return Err(DomainError::validation("photo", "required"));
    }
    if files.len() as u64 > MAX_PHOTOS {
        return Err(DomainError::Conflict("too_many_photos"));
    }
    let mut cleaned = Vec::with_capacity(files.len());
    for bytes in files {
        if bytes.is_empty() {
            return Err(DomainError::validation("photo", "required"));
        }
        if bytes.len() > MAX_BYTES {
            return Err(DomainError::validation("photo", "too_large"));
        }
        let kind = sniff(bytes).ok_or(DomainError::validation("photo", "invalid_type"))?;
        let clean =
            strip_metadata(kind, bytes).ok_or(DomainError::validation("photo", "invalid"))?;
        cleaned.push((kind, clean));
    }
    let op = opinion::Entity::find_by_id(opinion_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    if op.author_id != Some(actor.account_id) {
        return Err(DomainError::Forbidden);
    }
    if op.status != status::PENDING {
        return Err(DomainError::Conflict("not_pending"));
    }
    let dir = s.settings.data_dir.join("photos");
    let (_gate, txn) = s.begin_write().await?;
    let count = opinion_photo::Entity::find()
        .filter(opinion_photo::Column::OpinionId.eq(opinion_id))
        .count(&txn)
        .await?;
    if count + cleaned.len() as u64 > MAX_PHOTOS {
        return Err(DomainError::Conflict("too_many_photos"));
    }
    let mut written: Vec<PathBuf> = Vec::new();
    let result: DomainResult<Vec<PhotoInfo>> = async {
        let mut out = Vec::new();
        for (kind, bytes) in cleaned {
            let mut rnd = [0u8; 12];
            rand::thread_rng().fill_bytes(&mut rnd);
            let file_name = format!("{opinion_id}-{}.{}", hex::encode(rnd), kind.ext());
            let path = dir.join(&file_name);
            let size = bytes.len() as i64;
            // The file is on disk (synced) before the row that names it commits.
            write_synced(dir.clone(), path.clone(), bytes).await?;
            written.push(path);
            let m = opinion_photo::ActiveModel {
                opinion_id: Set(opinion_id),
                file_name: Set(file_name),
                content_type: Set(kind.content_type().to_owned()),
                size: Set(size),
                created_at: Set(clock::now()),
                ..Default::default()
            }
            .insert(&txn)
            .await?;
            out.push(PhotoInfo {
                id: m.id,
                content_type: m.content_type,
                size: m.size,
            });
        }
        txn.commit().await?;
        Ok(out)
    }
    .await;
    if result.is_err() {
        for p in written {
            let _ = tokio::fs::remove_file(p).await;
        }
    }
    result
}

async fn write_synced(dir: PathBuf, path: PathBuf, bytes: Vec<u8>) -> DomainResult<()> {
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(&dir)?;
        let mut f = std::fs::File::create(&path)?;
        f.write_all(&bytes)?;
        f.sync_all()
    })
    .await
    .map_err(|e| DomainError::Internal(e.to_string()))?
    .map_err(|e| DomainError::Internal(format!("photo write: {e}")))
}

/// The photos of an opinion, for whoever may see the opinion.
pub async fn list(
    s: &Services,
    viewer: Option<&Principal>,
    opinion_id: i64,
) -> DomainResult<Vec<PhotoInfo>> {
    crate::opinions::detail(s, viewer, opinion_id).await?;
    Ok(opinion_photo::Entity::find()
        .filter(opinion_photo::Column::OpinionId.eq(opinion_id))
        .order_by_asc(opinion_photo::Column::Id)
        .all(&s.db)
        .await?
        .into_iter()
        .map(|m| PhotoInfo {
            id: m.id,
            content_type: m.content_type,
            size: m.size,
        })
        .collect())
}

/// One photo's content type and bytes, for whoever may see its opinion.
pub async fn read(
    s: &Services,
    viewer: Option<&Principal>,
    photo_id: i64,
) -> DomainResult<(String, Vec<u8>)> {
    let m = opinion_photo::Entity::find_by_id(photo_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    crate::opinions::detail(s, viewer, m.opinion_id).await?;
    let bytes = tokio::fs::read(s.settings.data_dir.join("photos").join(&m.file_name))
        .await
        .map_err(|e| DomainError::Internal(format!("photo read: {e}")))?;
    Ok((m.content_type, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg_with_exif() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8];
        // APP0 JFIF
        b.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
        // APP1 Exif with a "GPS" payload
        b.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x08, b'E', b'x', b'G', b'P', b'S', b'!']);
        // SOS + data + EOI
        b.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x04, 0x01, 0x02, 0xAB, 0xCD, 0xFF, 0xD9]);
        b
    }

    fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
        let mut c = (data.len() as u32).to_be_bytes().to_vec();
        c.extend_from_slice(kind);
        c.extend_from_slice(data);
        c.extend_from_slice(&[0, 0, 0, 0]); // CRC is not checked here
        c
    }

    #[test]
    fn sniffs_by_bytes_not_names() {
        assert_eq!(sniff(&jpeg_with_exif()), Some(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\x04\x00\x00\x00WEBP"), Some(Kind::Webp));
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn jpeg_loses_exif_keeps_image() {
        let b = jpeg_with_exif();
        let out = strip_metadata(Kind::Jpeg, &b).unwrap();
        assert!(!out.windows(3).any(|w| w == b"GPS"));
        assert!(out.windows(4).any(|w| w == b"JFIF"));
        assert!(out.ends_with(&[0xAB, 0xCD, 0xFF, 0xD9]));
        // Truncated segment: refused, not half-copied.
        assert_eq!(strip_metadata(Kind::Jpeg, &b[..8]), None);
    }

    #[test]
    fn png_loses_text_chunks() {
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend(png_chunk(b"IHDR", &[0; 13]));
        b.extend(png_chunk(b"tEXt", b"Author\0Zhang San"));
        b.extend(png_chunk(b"eXIf", b"GPS"));
        b.extend(png_chunk(b"IDAT", &[1, 2, 3]));
        b.extend(png_chunk(b"IEND", &[]));
        let out = strip_metadata(Kind::Png, &b).unwrap();
        assert!(!out.windows(5).any(|w| w == b"Zhang"));
        assert!(!out.windows(4).any(|w| w == b"eXIf"));
        assert!(out.windows(4).any(|w| w == b"IDAT"));
        assert!(out.ends_with(&png_chunk(b"IEND", &[])));
        assert_eq!(strip_metadata(Kind::Png, &b[..20]), None);
    }

    #[test]
    fn webp_loses_exif_and_fixes_sizes() {
        let mut b = b"RIFF\0\0\0\0WEBP".to_vec();
        b.extend_from_slice(b"VP8X\x0a\0\0\0");
        b.extend_from_slice(&[0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(b"VP8L\x03\0\0\0\x01\x02\x03\0");
        b.extend_from_slice(b"EXIF\x03\0\0\0GPS\0");
        let n = (b.len() - 8) as u32;
        b[4..8].copy_from_slice(&n.to_le_bytes());
        let out = strip_metadata(Kind::Webp, &b).unwrap();
        assert!(!out.windows(4).any(|w| w == b"EXIF"));
        assert_eq!(out[20] & 0x0C, 0, "VP8X flags cleared");
        let size = u32::from_le_bytes(out[4..8].try_into().unwrap()) as usize;
        assert_eq!(size, out.len() - 8);
    }
}
