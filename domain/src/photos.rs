//! 照片 photos on opinions. The author adds up to [`MAX_PHOTOS`] while the
//! opinion waits for moderation; each is checked by its bytes (JPEG, PNG or
//! WebP, at most [`MAX_BYTES`]), decoded within pixel and memory limits and
//! re-encoded by the `image` library as a fresh JPEG — so nothing but the
//! pixels survives: no EXIF (the phone's GPS position and serial number),
//! no XMP, comments or bytes hidden after the image. Three renditions are
//! stored under the data directory: the photo (at most 2048 px on its long
//! side), a phone-sized one (1080 px) and a thumbnail (320 px). A photo is
//! shown to whoever may see its opinion.
use std::path::PathBuf;

use rand::RngCore;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
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

/// Largest width or height a photo may declare, and the memory decoding
/// may take: a small file that claims a huge canvas is refused before any
/// pixel buffer is allocated.
const MAX_SIDE: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 256 * 1024 * 1024;
/// Most pixels a photo may have (a 48-megapixel phone camera fits); with the
/// working copies this bounds one re-encode to well under a gigabyte.
const MAX_PIXELS: u64 = 50_000_000;

/// Re-encodes running at once in this process (each takes a core and up to
/// several hundred MB); further uploads wait their turn.
fn reencode_slots() -> &'static tokio::sync::Semaphore {
    static SLOTS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    SLOTS.get_or_init(|| tokio::sync::Semaphore::new(2))
}

/// The sizes stored for every photo (longest side, pixels).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Size {
    Full,
    Phone,
    Thumb,
}

impl Size {
    pub const ALL: [Size; 3] = [Size::Full, Size::Phone, Size::Thumb];

    fn max_side(self) -> u32 {
        match self {
            Size::Full => 2048,
            Size::Phone => 1080,
            Size::Thumb => 320,
        }
    }

    /// The file name suffix (`""` for the full photo).
    fn suffix(self) -> &'static str {
        match self {
            Size::Full => "",
            Size::Phone => "-m",
            Size::Thumb => "-t",
        }
    }

    /// `thumb`, `phone` or anything else (the full photo).
    pub fn parse(s: &str) -> Self {
        match s {
            "thumb" | "t" => Size::Thumb,
            "phone" | "m" => Size::Phone,
            _ => Size::Full,
        }
    }
}

/// Decodes the image within limits and re-encodes each rendition as JPEG
/// (transparent areas on white). CPU work: call it off the async runtime.
pub fn reencode(kind: Kind, bytes: &[u8]) -> DomainResult<Vec<(Size, Vec<u8>)>> {
    use image::{ImageFormat, ImageReader, Limits};
    let format = match kind {
        Kind::Jpeg => ImageFormat::Jpeg,
        Kind::Png => ImageFormat::Png,
        Kind::Webp => ImageFormat::WebP,
    };
    use image::ImageDecoder;
    let invalid = |_| DomainError::validation("photo", "invalid");
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    let mut reader = ImageReader::with_format(std::io::Cursor::new(bytes), format);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(invalid)?;
    let (w, h) = decoder.dimensions();
    if w as u64 * h as u64 > MAX_PIXELS {
        return Err(DomainError::validation("photo", "too_large"));
    }
    // Phones store portrait photos sideways with an orientation tag; the
    // tag goes with the metadata, so turn the pixels now.
    let orientation = decoder.orientation().map_err(invalid)?;
    let mut img = image::DynamicImage::from_decoder(decoder).map_err(invalid)?;
    img.apply_orientation(orientation);
    // Flatten onto white: JPEG has no transparency.
    let rgba = img.to_rgba8();
    drop(img);
    let (w, h) = rgba.dimensions();
    let mut rgb = image::RgbImage::new(w, h);
    for (x, y, p) in rgba.enumerate_pixels() {
        let a = p[3] as u32;
        let blend = |c: u8| ((c as u32 * a + 255 * (255 - a)) / 255) as u8;
        rgb.put_pixel(x, y, image::Rgb([blend(p[0]), blend(p[1]), blend(p[2])]));
    }
    drop(rgba);
    let img = image::DynamicImage::ImageRgb8(rgb);
    let mut out = Vec::with_capacity(3);
    for size in Size::ALL {
        let side = size.max_side();
        let scaled = if w.max(h) > side {
            img.resize(side, side, image::imageops::FilterType::Triangle)
        } else {
            img.clone()
        };
        let mut buf = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut buf, 82)
            .encode_image(&scaled)
            .map_err(|e| DomainError::Internal(format!("photo encode: {e}")))?;
        out.push((size, buf));
    }
    Ok(out)
}

fn rendition_name(file_name: &str, size: Size) -> String {
    match file_name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}{}.{ext}", size.suffix()),
        None => format!("{file_name}{}", size.suffix()),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PhotoInfo {
    pub id: i64,
    pub content_type: String,
    pub size: i64,
}

/// The opinion, if `actor` wrote it and it still waits for moderation, with
/// how many photos it has. With `lock` (inside a writing transaction) its
/// row is locked on PostgreSQL: uploads to it count one after the other and
/// moderation cannot slip between the count and the insert.
async fn own_pending_opinion<C: ConnectionTrait>(
    conn: &C,
    actor: &Principal,
    opinion_id: i64,
    lock: bool,
) -> DomainResult<u64> {
    let mut q = opinion::Entity::find_by_id(opinion_id);
    if lock {
        q = q.lock_exclusive();
    }
    let op = q.one(conn).await?.ok_or(DomainError::NotFound)?;
    if op.author_id != Some(actor.account_id) {
        return Err(DomainError::Forbidden);
    }
    if op.status != status::PENDING {
        return Err(DomainError::Conflict("not_pending"));
    }
    Ok(opinion_photo::Entity::find()
        .filter(opinion_photo::Column::OpinionId.eq(opinion_id))
        .count(conn)
        .await?)
}

/// Checks, before any upload is read, that `actor` may add photos to the
/// opinion now (its author, while it waits, with room left) and spends one
/// of the actor's uploads (`upload_per_account` an hour).
pub async fn may_attach(s: &Services, actor: &Principal, opinion_id: i64) -> DomainResult<()> {
    if own_pending_opinion(&s.db, actor, opinion_id, false).await? >= MAX_PHOTOS {
        return Err(DomainError::Conflict("too_many_photos"));
    }
    spend_upload(s, actor).await
}

/// The author adds photos to their opinion while it waits for moderation:
/// every file is checked first, then all are stored, or none.
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
        cleaned.push(clean(bytes).await?);
    }
    // Again after the (slow) re-encoding, before anything is written: it
    // may have been moderated, or filled by another upload, since.
    let adding = cleaned.len() as u64;
    let room = move |count: u64| {
        if count + adding > MAX_PHOTOS {
            Err(DomainError::Conflict("too_many_photos"))
        } else {
            Ok(())
        }
    };
    room(own_pending_opinion(&s.db, actor, opinion_id, false).await?)?;
    let dir = dir(s);
    let mut written = Written::default();
    let result: DomainResult<Vec<PhotoInfo>> = async {
        // On disk (synced) before the transaction, outside SQLite's one
        // writer; removed again if the rows naming them do not commit.
        let mut stored = Vec::with_capacity(cleaned.len());
        for renditions in cleaned {
            let file_name = random_name(&opinion_id.to_string());
            let size = store(&dir, &file_name, renditions, &mut written).await?;
            stored.push((file_name, size));
        }
        let (_gate, txn) = s.begin_write().await?;
        // And in the transaction, the opinion locked: what counts.
        room(own_pending_opinion(&txn, actor, opinion_id, true).await?)?;
        let mut out = Vec::new();
        for (file_name, size) in stored {
            let m = opinion_photo::ActiveModel {
                opinion_id: Set(opinion_id),
                file_name: Set(file_name),
                content_type: Set(Kind::Jpeg.content_type().to_owned()),
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
    kept_if_ok(result, written)
}

/// Checks one upload by its bytes and re-encodes it (off the async
/// runtime, a slot at a time): the renditions to store.
/// One of `actor`'s hourly uploads spent (before any upload is read).
pub(crate) async fn spend_upload(s: &Services, actor: &Principal) -> DomainResult<()> {
    s.hit(
        crate::ratelimit::Bucket::UploadAccount,
        &actor.account_id.to_string(),
    )
    .await
}

/// The files an upload wrote, removed again unless the row naming them
/// committed: by [`kept_if_ok`] on an error, and when dropped unkept — the
/// request cancelled (its client gone, the server shutting down) while it
/// waited for the writer.
#[derive(Default)]
pub(crate) struct Written(Vec<PathBuf>);

impl Written {
    pub(crate) fn push(&mut self, path: PathBuf) {
        self.0.push(path);
    }
}

impl Drop for Written {
    fn drop(&mut self) {
        for p in self.0.drain(..) {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The files stay when the row naming them committed (`result` is `Ok`),
/// and are removed when it did not.
pub(crate) fn kept_if_ok<T>(result: DomainResult<T>, mut written: Written) -> DomainResult<T> {
    if result.is_ok() {
        written.0.clear();
    }
    result
}

pub(crate) async fn clean(bytes: &[u8]) -> DomainResult<Vec<(Size, Vec<u8>)>> {
    if bytes.is_empty() {
        return Err(DomainError::validation("photo", "required"));
    }
    if bytes.len() > MAX_BYTES {
        return Err(DomainError::validation("photo", "too_large"));
    }
    let kind = sniff(bytes).ok_or(DomainError::validation("photo", "invalid_type"))?;
    let raw = bytes.to_vec();
    let _slot = reencode_slots()
        .acquire()
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?;
    tokio::task::spawn_blocking(move || reencode(kind, &raw))
        .await
        .map_err(|e| DomainError::Internal(e.to_string()))?
}

/// A file name nobody can guess: `<prefix>-<24 hex digits>.jpg`.
pub(crate) fn random_name(prefix: &str) -> String {
    let mut rnd = [0u8; 12];
    rand::thread_rng().fill_bytes(&mut rnd);
    format!("{prefix}-{}.jpg", hex::encode(rnd))
}

/// Writes a photo's renditions under `dir` (each synced to disk), noting
/// every path in `written` (to remove them if what follows fails); returns
/// the full-size rendition's bytes.
pub(crate) async fn store(
    dir: &std::path::Path,
    file_name: &str,
    renditions: Vec<(Size, Vec<u8>)>,
    written: &mut Written,
) -> DomainResult<i64> {
    let mut size = 0;
    for (which, bytes) in renditions {
        if which == Size::Full {
            size = bytes.len() as i64;
        }
        let path = dir.join(rendition_name(file_name, which));
        written.push(path.clone());
        write_synced(dir.to_path_buf(), path, bytes).await?;
    }
    Ok(size)
}

/// The stored photos' directory.
pub(crate) fn dir(s: &Services) -> PathBuf {
    s.settings.data_dir.join("photos")
}

/// A stored photo in one of its sizes (the full one when that size is
/// missing: photos stored before renditions existed).
pub(crate) async fn read_file(s: &Services, file_name: &str, size: Size) -> DomainResult<Vec<u8>> {
    let dir = dir(s);
    let wanted = dir.join(rendition_name(file_name, size));
    let path = if tokio::fs::try_exists(&wanted).await.unwrap_or(false) {
        wanted
    } else {
        dir.join(file_name)
    };
    tokio::fs::read(path)
        .await
        .map_err(|e| DomainError::Internal(format!("photo read: {e}")))
}

pub(crate) async fn write_synced(dir: PathBuf, path: PathBuf, bytes: Vec<u8>) -> DomainResult<()> {
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

/// A photo's content type and bytes in one of its sizes, for whoever may see its opinion. Photos
/// stored before renditions existed are served full-size for every size.
pub async fn read(
    s: &Services,
    viewer: Option<&Principal>,
    photo_id: i64,
    size: Size,
) -> DomainResult<(String, Vec<u8>)> {
    let m = opinion_photo::Entity::find_by_id(photo_id)
        .one(&s.db)
        .await?
        .ok_or(DomainError::NotFound)?;
    crate::opinions::detail(s, viewer, m.opinion_id).await?;
    Ok((m.content_type, read_file(s, &m.file_name, size).await?))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn written_files_go_unless_their_row_committed() {
        let dir = tempfile::tempdir().unwrap();
        let file = |n: &str| {
            let p = dir.path().join(n);
            std::fs::write(&p, b"x").unwrap();
            p
        };
        let (kept, failed, cancelled) = (file("kept"), file("failed"), file("cancelled"));
        let mut w = Written::default();
        w.push(kept.clone());
        assert_eq!(kept_if_ok(Ok(1), w).unwrap(), 1);
        assert!(kept.exists());
        let mut w = Written::default();
        w.push(failed.clone());
        assert!(kept_if_ok::<()>(Err(DomainError::Conflict("x")), w).is_err());
        assert!(!failed.exists());
        // The request dropped before its transaction ended.
        let mut w = Written::default();
        w.push(cancelled.clone());
        drop(w);
        assert!(!cancelled.exists());
    }

    /// A real JPEG of `w`×`h` with an EXIF segment (fake GPS) spliced in
    /// after SOI and junk appended after EOI.
    pub(crate) fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x % 255) as u8, (y % 255) as u8, 90])
        });
        let mut plain = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
            .encode_image(&img)
            .unwrap();
        let exif = b"Exif\0\0GPS 30.27N 120.15E serial SN-4471";
        let mut out = plain[..2].to_vec();
        out.extend_from_slice(&[0xFF, 0xE1]);
        out.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
        out.extend_from_slice(exif);
        out.extend_from_slice(&plain[2..]);
        out.extend_from_slice(b"HIDDEN-TRAILER");
        out
    }

    #[test]
    fn sniffs_by_bytes_not_names() {
        assert_eq!(sniff(&jpeg_with_exif(4, 4)), Some(Kind::Jpeg));
        assert_eq!(sniff(b"\x89PNG\r\n\x1a\nrest"), Some(Kind::Png));
        assert_eq!(sniff(b"RIFF\x04\x00\x00\x00WEBP"), Some(Kind::Webp));
        assert_eq!(sniff(b"<svg xmlns="), None);
        assert_eq!(sniff(b"GIF89a"), None);
        assert_eq!(sniff(b""), None);
    }

    #[test]
    fn reencoding_keeps_only_pixels_in_three_sizes() {
        let b = jpeg_with_exif(3000, 1500);
        assert!(b.windows(3).any(|w| w == b"GPS"));
        let out = reencode(Kind::Jpeg, &b).unwrap();
        let sides: Vec<(Size, u32, u32)> = out
            .iter()
            .map(|(s, bytes)| {
                assert!(!bytes.windows(3).any(|w| w == b"GPS"), "{s:?}");
                assert!(!bytes.windows(4).any(|w| w == b"Exif"), "{s:?}");
                assert!(!bytes.windows(6).any(|w| w == b"HIDDEN"), "{s:?}");
                assert!(bytes.ends_with(&[0xFF, 0xD9]));
                let img = image::load_from_memory(bytes).unwrap();
                (*s, img.width(), img.height())
            })
            .collect();
        assert_eq!(
            sides,
            vec![
                (Size::Full, 2048, 1024),
                (Size::Phone, 1080, 540),
                (Size::Thumb, 320, 160)
            ]
        );
        // A small photo is not blown up.
        let small = reencode(Kind::Jpeg, &jpeg_with_exif(40, 30)).unwrap();
        let img = image::load_from_memory(&small[0].1).unwrap();
        assert_eq!((img.width(), img.height()), (40, 30));
    }

    #[test]
    fn a_canvas_bomb_or_broken_file_is_refused() {
        // A PNG header declaring 100000 × 100000 pixels, 60 bytes long.
        let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
        b.extend_from_slice(&13u32.to_be_bytes());
        b.extend_from_slice(b"IHDR");
        b.extend_from_slice(&100_000u32.to_be_bytes());
        b.extend_from_slice(&100_000u32.to_be_bytes());
        b.extend_from_slice(&[8, 2, 0, 0, 0]);
        b.extend_from_slice(&[0, 0, 0, 0]);
        assert!(matches!(
            reencode(Kind::Png, &b),
            Err(DomainError::Validation {
                rule: "invalid",
                ..
            })
        ));
        let jpeg = jpeg_with_exif(8, 8);
        assert!(reencode(Kind::Jpeg, &jpeg[..40]).is_err());
        assert!(reencode(Kind::Webp, b"RIFF\x04\x00\x00\x00WEBPjunk").is_err());
    }
}
